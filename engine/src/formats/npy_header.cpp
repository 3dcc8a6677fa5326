// The .npy header reader (npy_header.hpp): the fixed prefix, then the dict as a small Python literal parser.
#include "feedgraph/detail/npy_header.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "feedgraph/detail/npy_format.hpp"
#include "feedgraph/errors.hpp"

namespace feedgraph::detail::npy {
namespace {

/// A Python literal of the kinds a .npy header holds: str, int, bool, None, tuple, list, dict.
struct PyValue {
  enum class Kind { string, integer, boolean, none, tuple, list, dict } kind = Kind::none;
  std::string text;          ///< string: its value; every kind: the literal as written, for messages
  std::int64_t integer = 0;
  bool boolean = false;
  // Not a vector of (key, value) pairs: std::pair needs PyValue complete, and clang's libstdc++ says so.
  std::vector<PyValue> items;     ///< tuple, list: the items; dict: the values
  std::vector<std::string> keys;  ///< dict: the keys (string keys only), one per value
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
        v.keys.push_back(key.text);
        v.items.push_back(value(depth + 1));
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

[[noreturn]] void bad_header(std::string_view file, const std::string& why) {
  throw Error(fmt::format("{}: not a valid .npy header: {}", file, why));
}

/// The fixed part before the header's text: magic, version, the header's length.
struct Prefix {
  std::uint64_t prefix_len = 10;  ///< 10 in format 1.0 (a u16 length), 12 in 2.0 (a u32 length)
  std::uint64_t header_len = 0;
};

Prefix read_prefix(std::span<const std::byte> start, std::uint64_t file_size, std::string_view file) {
  if (start.size() < 10 || std::memcmp(start.data(), kMagic, sizeof kMagic) != 0)
    throw Error(fmt::format("{}: not a .npy file (it does not start with \"\\x93NUMPY\")", file));
  const int major = static_cast<int>(start[6]);
  const int minor = static_cast<int>(start[7]);
  if ((major != 1 && major != 2) || minor != 0)
    throw Error(fmt::format("{}: unsupported .npy format version {}.{} (1.0 and 2.0 are read)", file, major, minor));
  Prefix p;
  p.header_len = static_cast<std::uint64_t>(start[8]) | static_cast<std::uint64_t>(start[9]) << 8;
  if (major == 2) {
    if (start.size() < 12) bad_header(file, "the file ends inside its header length: truncated");
    p.header_len |= static_cast<std::uint64_t>(start[10]) << 16 | static_cast<std::uint64_t>(start[11]) << 24;
    p.prefix_len = 12;
  }
  if (p.header_len > kMaxHeaderBytes) bad_header(file, fmt::format("a header of {} bytes", p.header_len));
  if (p.prefix_len + p.header_len > file_size)
    bad_header(file, fmt::format("the header says it is {} bytes but the file holds {}: truncated", p.header_len,
                                 file_size));
  return p;
}

}  // namespace

std::uint64_t data_offset(std::span<const std::byte> start, std::uint64_t file_size, std::string_view file) {
  const Prefix p = read_prefix(start, file_size, file);
  return p.prefix_len + p.header_len;
}

Header parse_header(std::span<const std::byte> start, std::uint64_t file_size, std::string_view file) {
  const Prefix p = read_prefix(start, file_size, file);
  Header h;
  h.data_offset = p.prefix_len + p.header_len;
  if (start.size() < h.data_offset)
    bad_header(file, fmt::format("the header ends at byte {}, after the {} bytes given", h.data_offset, start.size()));
  const std::string_view text(reinterpret_cast<const char*>(start.data()) + p.prefix_len, p.header_len);

  PyValue dict;
  try {
    dict = LiteralParser(text).parse_all();
  } catch (const std::runtime_error& e) {
    bad_header(file, e.what());
  }
  if (dict.kind != PyValue::Kind::dict) bad_header(file, "the header is not a dict");
  bool seen[3] = {false, false, false};
  for (std::size_t i = 0; i < dict.keys.size(); ++i) {
    const std::string& key = dict.keys[i];
    const PyValue& value = dict.items[i];
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

SampleArray sample_array(const Header& h, std::uint64_t file_size, std::string_view file) {
  if (h.fortran_order)
    throw Error(
        fmt::format("{}: fortran_order is True: only C-ordered arrays are read (save np.ascontiguousarray(a))", file));
  const auto dtype = dtype_of_descr(h.descr);
  if (!dtype) {
    throw Error(fmt::format("{}: unsupported descr '{}' (|u1, <i4, <f2 and <f4 are read: uint8, int32, float16, "
                            "float32, little-endian)",
                            file, h.descr));
  }
  if (h.shape.empty()) throw Error(fmt::format("{}: a 0-d array has no sample axis", file));
  SampleArray a;
  a.layout = SampleLayout{std::vector<std::int64_t>(h.shape.begin() + 1, h.shape.end()), *dtype};
  a.samples = h.shape[0];
  a.data_offset = h.data_offset;
  // Sized before anything else reads the shape: a product of entries from a file may not fit in 64 bits.
  const std::optional<std::uint64_t> sample_bytes = a.layout.checked_bytes();
  if (!sample_bytes || *sample_bytes > kMaxSampleBytes)
    throw Error(fmt::format("{}: samples of {} are larger than 1 TiB", file, a.layout.describe()));
  if (*sample_bytes == 0 && a.samples > 0)
    throw Error(fmt::format("{}: samples of {} hold no element", file, a.layout.describe()));
  if (__builtin_mul_overflow(*sample_bytes, static_cast<std::uint64_t>(a.samples), &a.data_bytes) ||
      a.data_bytes > (std::uint64_t{1} << 62))
    throw Error(fmt::format("{}: the array's shape makes it impossibly large", file));
  check_data_length(h, a.data_bytes, file_size, file);
  return a;
}

void check_data_length(const Header& h, std::uint64_t bytes, std::uint64_t file_size, std::string_view file) {
  const std::uint64_t have = file_size - std::min(file_size, h.data_offset);
  if (have < bytes) {
    throw Error(fmt::format("{}: the header says {} bytes of data from offset {}, the file holds {}: truncated", file,
                            bytes, h.data_offset, have));
  }
  if (have > bytes) {
    throw Error(
        fmt::format("{}: {} bytes after the array's data (several arrays saved to one file?)", file, have - bytes));
  }
}

}  // namespace feedgraph::detail::npy
