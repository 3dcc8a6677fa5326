// feedgraph.state/1: the JSON document of a PipelineState, and its atomic save.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "feedgraph/errors.hpp"
#include "feedgraph/state.hpp"

namespace feedgraph {
namespace {

using json = nlohmann::ordered_json;

const char* uneven_name(ShardSpec::Uneven u) { return u == ShardSpec::Uneven::drop ? "drop" : "pad"; }

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

json fingerprint_json(const StateFingerprint& f) {
  auto files = json::array();
  for (const auto& file : f.files) files.push_back({{"path", file.path}, {"bytes", file.bytes}});
  auto groups = json::array();
  for (const auto& g : f.file_groups)
    groups.push_back({{"first", g.first}, {"files", g.files}, {"bytes", g.bytes}, {"digest", hex(g.digest)}});
  return {{"source", f.source},       {"samples", f.samples},     {"layout", f.layout},
          {"data_bytes", f.data_bytes}, {"file_count", f.file_count}, {"files", std::move(files)},
          {"file_groups", std::move(groups)}, {"shuffle", f.shuffle},
          {"seed", f.seed},           {"batch_size", f.batch_size}, {"drop_last", f.drop_last},
          {"on_error", f.on_error},   {"transforms", f.transforms}, {"device_transforms", f.device_transforms}};
}

/// Reads `key` of `object` as T, or throws naming the key.
template <class T>
T field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) throw Error(where + ": key '" + key + "' is missing");
  try {
    return object.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(where + ": key '" + key + "' has the wrong type (" + object.at(key).dump() + ")");
  }
}

}  // namespace

std::string state_json(const PipelineState& s) {
  json doc = {{"format", std::string(PipelineState::format)},
              {"graph", s.graph},
              {"epoch", s.epoch},
              {"batches", s.batches},
              {"position", s.position},
              {"shard", {{"index", s.shard_index}, {"count", s.shard_count}, {"uneven", uneven_name(s.uneven)}}},
              {"dealt", s.dealt ? json{{"world", s.dealt->world}, {"positions", s.dealt->positions}} : json(nullptr)},
              {"fingerprint", fingerprint_json(s.fingerprint)}};
  return doc.dump(1) + "\n";
}

PipelineState parse_state(std::string_view text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(origin + ": not a feedgraph state (not JSON, or cut short: " + e.what() + ")");
  }
  if (!doc.is_object() || !doc.contains("format"))
    throw Error(origin + ": not a feedgraph state (no 'format' key)");
  const auto format = field<std::string>(doc, "format", origin);
  if (format != PipelineState::format)
    throw Error(origin + ": format '" + format + "' is not " + std::string(PipelineState::format));
  PipelineState s;
  s.graph = field<std::string>(doc, "graph", origin);
  s.epoch = field<std::int64_t>(doc, "epoch", origin);
  s.batches = field<std::int64_t>(doc, "batches", origin);
  s.position = field<std::int64_t>(doc, "position", origin);
  const json shard = field<json>(doc, "shard", origin);
  s.shard_index = field<int>(shard, "index", origin + ": shard");
  s.shard_count = field<int>(shard, "count", origin + ": shard");
  const auto uneven = field<std::string>(shard, "uneven", origin + ": shard");
  if (uneven != "pad" && uneven != "drop") throw Error(origin + ": shard.uneven '" + uneven + "' is not pad or drop");
  s.uneven = uneven == "drop" ? ShardSpec::Uneven::drop : ShardSpec::Uneven::pad;
  if (s.epoch < 0 || s.batches < 0 || s.position < 0 || s.shard_count < 1 || s.shard_index < 0 ||
      s.shard_index >= s.shard_count)
    throw Error(origin + ": epoch, batches, position or shard out of range");
  if (doc.contains("dealt") && !doc.at("dealt").is_null()) {
    const json dealt = doc.at("dealt");
    DealtEpoch d;
    d.world = field<int>(dealt, "world", origin + ": dealt");
    d.positions = field<std::vector<std::int64_t>>(dealt, "positions", origin + ": dealt");
    if (d.world < 1 || static_cast<int>(d.positions.size()) != d.world)
      throw Error(origin + ": dealt.positions must hold one position per rank of dealt.world");
    s.dealt = std::move(d);
  }
  const json f = field<json>(doc, "fingerprint", origin);
  const std::string where = origin + ": fingerprint";
  StateFingerprint& fp = s.fingerprint;
  fp.source = field<std::string>(f, "source", where);
  fp.samples = field<std::int64_t>(f, "samples", where);
  fp.layout = field<std::string>(f, "layout", where);
  fp.data_bytes = field<std::uint64_t>(f, "data_bytes", where);
  fp.file_count = field<std::int64_t>(f, "file_count", where);
  for (const json& file : field<json>(f, "files", where)) {
    fp.files.push_back({field<std::string>(file, "path", where + ".files"), field<std::uint64_t>(file, "bytes", where + ".files")});
  }
  for (const json& g : field<json>(f, "file_groups", where)) {
    const std::string at = where + ".file_groups";
    DataFileGroup group{field<std::string>(g, "first", at), field<std::int64_t>(g, "files", at),
                        field<std::uint64_t>(g, "bytes", at), 0};
    const auto digest = field<std::string>(g, "digest", at);
    std::size_t used = 0;
    try {
      group.digest = std::stoull(digest, &used, 16);
    } catch (const std::exception&) {
      used = 0;
    }
    if (digest.empty() || used != digest.size()) throw Error(at + ": digest '" + digest + "' is not hexadecimal");
    fp.file_groups.push_back(std::move(group));
  }
  fp.shuffle = field<bool>(f, "shuffle", where);
  fp.seed = field<std::uint64_t>(f, "seed", where);
  fp.batch_size = field<std::int64_t>(f, "batch_size", where);
  fp.drop_last = field<bool>(f, "drop_last", where);
  fp.on_error = field<std::string>(f, "on_error", where);
  fp.transforms = field<std::vector<std::string>>(f, "transforms", where);
  fp.device_transforms = field<std::vector<std::string>>(f, "device_transforms", where);
  return s;
}

void save_state(const PipelineState& state, const std::string& path) {
  const std::string text = state_json(state);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const char* what) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error("cannot write the state " + path + ": " + what + ": " + std::strerror(err));
  };
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("open");
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  if (::close(fd) != 0) fail("close");
  // rename() replaces the previous state in one step: a reader sees the old file or the new one, never half.
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename");
  // The rename itself is durable once the folder is synced.
  const std::string folder = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
}

PipelineState load_state(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the state " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_state(text.str(), path);
}

std::vector<std::string> fingerprint_differences(const StateFingerprint& a, const StateFingerprint& b) {
  std::vector<std::string> out;
  auto differ = [&](const char* what, const auto& x, const auto& y) {
    if (x == y) return;
    std::ostringstream m;
    m << what << " was " << x << ", now " << y;
    out.push_back(m.str());
  };
  auto yes_no = [](bool v) { return v ? "true" : "false"; };
  differ("dataset.source", a.source, b.source);
  differ("the dataset's sample count", a.samples, b.samples);
  differ("the sample layout", a.layout, b.layout);
  const std::size_t before_files = out.size();
  if (a.file_count != b.file_count)
    out.push_back("the dataset had " + std::to_string(a.file_count) + " files, now " + std::to_string(b.file_count));
  if (a.files != b.files && !a.files.empty() && !b.files.empty()) {
    // Name the first file that differs: changed size, renamed, added or gone.
    const std::size_t n = std::min(a.files.size(), b.files.size());
    std::size_t i = 0;
    while (i < n && a.files[i] == b.files[i]) ++i;
    if (i < n && a.files[i].path == b.files[i].path)
      out.push_back("file " + a.files[i].path + " was " + std::to_string(a.files[i].bytes) + " bytes, now " +
                    std::to_string(b.files[i].bytes));
    else if (i < n)
      out.push_back("file " + std::to_string(i) + " was " + a.files[i].path + ", now " + b.files[i].path);
  } else if (a.file_groups != b.file_groups && a.file_count == b.file_count) {
    // Same count, grouped alike: name the first run of files that differs.
    std::int64_t first = 0;
    for (std::size_t g = 0; g < std::min(a.file_groups.size(), b.file_groups.size()); ++g) {
      const DataFileGroup &x = a.file_groups[g], &y = b.file_groups[g];
      if (x != y) {
        std::string what = "a file among the " + std::to_string(x.files) + " from " + x.first + " (files " +
                           std::to_string(first) + " to " + std::to_string(first + x.files - 1) +
                           ") was renamed, replaced or changed size";
        if (x.bytes != y.bytes) what += ": they held " + std::to_string(x.bytes) + " bytes, now " + std::to_string(y.bytes);
        out.push_back(std::move(what));
        break;
      }
      first += x.files;
    }
  }
  if (out.size() == before_files) differ("the data's bytes", a.data_bytes, b.data_bytes);
  differ("dataset.shuffle", yes_no(a.shuffle), yes_no(b.shuffle));
  differ("seed", a.seed, b.seed);
  differ("batch_size", a.batch_size, b.batch_size);
  differ("drop_last", yes_no(a.drop_last), yes_no(b.drop_last));
  differ("dataset.on_error", a.on_error, b.on_error);
  auto stages = [&](const char* key, const std::vector<std::string>& x, const std::vector<std::string>& y) {
    const std::size_t n = std::max(x.size(), y.size());
    for (std::size_t i = 0; i < n; ++i) {
      const std::string before = i < x.size() ? x[i] : "(none)", after = i < y.size() ? y[i] : "(none)";
      if (before != after) out.push_back(std::string(key) + "[" + std::to_string(i) + "] was " + before + ", now " + after);
    }
  };
  stages("transforms", a.transforms, b.transforms);
  stages("device_transforms", a.device_transforms, b.device_transforms);
  return out;
}

}  // namespace feedgraph
