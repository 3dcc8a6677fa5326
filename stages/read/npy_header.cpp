// The .npy header reader (npy_header.hpp): the fixed prefix, then the dict as a small Python literal parser.
#include "read/npy_header.hpp"

#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "dataset/npy_format.hpp"
#include "feedgraph/errors.hpp"
#include "read/data_files.hpp"

namespace feedgraph::stages {
namespace {

/// A Python literal of the kinds a .npy header holds: str, int, bool, None, tuple, list, dict.
struct PyValue {
  enum class Kind { string, integer, boolean, none, tuple, list, dict } kind = Kind::none;
  std::string text;          ///< string: its value; every kind: the literal as written, for messages
  std::int64_t integer = 0;
  bool boolean = false;
  std::vector<PyValue> items;                           ///< tuple, list
  std::vector<std::pair<std::string, PyValue>> entries;  ///< dict, string keys only
};

/// Recursive descent over the header text. Throws std::runtime_error with the reason; the caller adds the
/// file name.
class LiteralParser {
 public:
  explicit LiteralParser(std::string_view text) : text_(text) {}

  PyValue parse_all() {
    PyValue v = value(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the dict");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error(fmt::format("{} at character {}", why, pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  PyValue value(int depth) {
    if (depth > 16) fail("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end of the header");
    const std::size_t start = pos_;
    PyValue v;
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      v.kind = PyValue::Kind::string;
      v.text = string_body();
      return v;
    }
    if (c == '{') {
      v.kind = PyValue::Kind::dict;
      ++pos_;
      while (!take('}')) {
        PyValue key = value(depth + 1);
        if (key.kind != PyValue::Kind::string) fail("a dict key that is not a string");
        if (!take(':')) fail("expected ':'");
        v.entries.emplace_back(key.text, value(depth + 1));
        if (!take(',')) {
          if (!take('}')) fail("expected ',' or '}'");
          break;
        }
      }
    } else if (c == '(' || c == '[') {
      v.kind = c == '(' ? PyValue::Kind::tuple : PyValue::Kind::list;
      const char close = c == '(' ? ')' : ']';
      ++pos_;
      while (!take(close)) {
        v.items.push_back(value(depth + 1));
        if (!take(',')) {
          if (!take(close)) fail(fmt::format("expected ',' or '{}'", close));
          break;
        }
      }
    } else if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
      v.kind = PyValue::Kind::integer;
      v.integer = integer();
    } else {
      std::size_t end = pos_;
      while (end < text_.size() && std::isalpha(static_cast<unsigned char>(text_[end]))) ++end;
      const std::string_view word = text_.substr(pos_, end - pos_);
      if (word == "True" || word == "False") {
        v.kind = PyValue::Kind::boolean;
        v.boolean = word == "True";
      } else if (word == "None") {
        v.kind = PyValue::Kind::none;
      } else {
        fail("unexpected '" + std::string(1, c) + "'");
      }
      pos_ = end;
    }
    if (v.kind != PyValue::Kind::string) v.text = std::string(text_.substr(start, pos_ - start));
    return v;
  }

  std::string string_body() {
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;  // an escaped quote or backslash
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  std::int64_t integer() {
    bool negative = false;
    if (text_[pos_] == '-' || text_[pos_] == '+') negative = text_[pos_++] == '-';
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') fail("expected a digit");
    std::int64_t v = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, text_[pos_] - '0', &v))
        fail("integer too large");
      ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l')) ++pos_;  // Python 2 wrote shapes as 10L
    return negative ? -v : v;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

[[noreturn]] void bad_header(const DataFile& file, const std::string& why) {
  throw Error(fmt::format("{}: not a valid .npy header: {}", file.path(), why));
}

}  // namespace

NpyHeader read_npy_header(const DataFile& file) {
  std::byte prefix[12]{};
  const std::int64_t got = file.read_at(prefix, 0);
  if (got < 0) throw Error(fmt::format("{}: cannot read: {}", file.path(), error_text(static_cast<int>(-got))));
  if (got < 10 || std::memcmp(prefix, detail::npy::kMagic, sizeof detail::npy::kMagic) != 0)
    throw Error(fmt::format("{}: not a .npy file (it does not start with \"\\x93NUMPY\")", file.path()));
  const int major = static_cast<int>(prefix[6]);
  const int minor = static_cast<int>(prefix[7]);
  if ((major != 1 && major != 2) || minor != 0)
    throw Error(
        fmt::format("{}: unsupported .npy format version {}.{} (1.0 and 2.0 are read)", file.path(), major, minor));
  std::uint64_t header_len = static_cast<std::uint64_t>(prefix[8]) | static_cast<std::uint64_t>(prefix[9]) << 8;
  std::uint64_t prefix_len = 10;
  if (major == 2) {
    if (got < 12) bad_header(file, "the file ends inside its header length: truncated");
    header_len |= static_cast<std::uint64_t>(prefix[10]) << 16 | static_cast<std::uint64_t>(prefix[11]) << 24;
    prefix_len = 12;
  }
  if (header_len > (std::uint64_t{1} << 20)) bad_header(file, fmt::format("a header of {} bytes", header_len));
  if (prefix_len + header_len > file.size())
    bad_header(file, fmt::format("the header says it is {} bytes but the file holds {}: truncated", header_len,
                                 file.size()));
  std::string text(header_len, '\0');
  file.read_exactly(std::as_writable_bytes(std::span<char>(text)), prefix_len);

  PyValue dict;
  try {
    dict = LiteralParser(text).parse_all();
  } catch (const std::runtime_error& e) {
    bad_header(file, e.what());
  }
  if (dict.kind != PyValue::Kind::dict) bad_header(file, "the header is not a dict");
  NpyHeader h;
  h.data_offset = prefix_len + header_len;
  bool seen[3] = {false, false, false};
  for (const auto& [key, value] : dict.entries) {
    if (key == "descr") {
      // A record dtype has a list here; keep its text for the "unsupported descr" message.
      h.descr = value.text;
      seen[0] = true;
    } else if (key == "fortran_order") {
      if (value.kind != PyValue::Kind::boolean) bad_header(file, "'fortran_order' is not True or False");
      h.fortran_order = value.boolean;
      seen[1] = true;
    } else if (key == "shape") {
      if (value.kind != PyValue::Kind::tuple) bad_header(file, "'shape' is not a tuple");
      for (const PyValue& dim : value.items) {
        if (dim.kind != PyValue::Kind::integer || dim.integer < 0)
          bad_header(file, "'shape' " + value.text + " is not a tuple of sizes");
        h.shape.push_back(dim.integer);
      }
      seen[2] = true;
    } else {
      bad_header(file, "unexpected key '" + key + "'");
    }
  }
  if (!seen[0] || !seen[1] || !seen[2]) bad_header(file, "the dict must hold 'descr', 'fortran_order' and 'shape'");
  return h;
}

}  // namespace feedgraph::stages
