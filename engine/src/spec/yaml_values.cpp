// Strict typed reads of YAML values (yaml_values.hpp).
//
// yaml-cpp's own conversions are too lenient for a strict schema (`as<int>()` takes "0x10", `as<bool>()` takes
// "yes" and "on") and report no key path, so scalars are parsed here with std::from_chars.
#include "spec/yaml_values.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>

#include "feedgraph/spec.hpp"

namespace feedgraph::detail {
namespace {

// A quoted scalar ("5", 'true') is text in YAML, even when it looks like a number: yaml-cpp tags it "!".
bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

// from_chars takes no leading '+'; YAML does.
std::string_view strip_plus(std::string_view s) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

void check_range(const ValueAt& value, double x, const Range& range) {
  if (range.greater_than && !(x > *range.greater_than)) {
    value.fail(fmt::format("must be > {} (got {})", *range.greater_than, value.node.Scalar()));
  }
  if (x < range.min) value.fail(fmt::format("must be >= {} (got {})", range.min, value.node.Scalar()));
  if (x > range.max) value.fail(fmt::format("must be <= {} (got {})", range.max, value.node.Scalar()));
}

}  // namespace

void ValueAt::fail(const std::string& message) const { throw error_at(*origin, mark, path, message); }

std::vector<MapAt::Entry> MapAt::entries() const {
  std::vector<Entry> out;
  if (!node.IsMap()) return out;
  for (const auto& pair : node) {
    std::string key_path = join_key(path, pair.first.IsScalar() ? pair.first.Scalar() : std::string("?"));
    out.push_back({pair.first, ValueAt{origin, pair.second, value_mark(pair.first, pair.second), key_path}});
  }
  return out;
}

std::optional<ValueAt> MapAt::find(std::string_view key) const {
  if (!node.IsMap()) return std::nullopt;
  for (const auto& pair : node) {
    if (pair.first.IsScalar() && pair.first.Scalar() == key) {
      return ValueAt{origin, pair.second, value_mark(pair.first, pair.second), join_key(path, key)};
    }
  }
  return std::nullopt;
}

void MapAt::expect_only(const std::vector<std::string>& known) const {
  for (const Entry& entry : entries()) {
    if (!entry.key.IsScalar()) {
      throw error_at(*origin, entry.key.Mark(), path, fmt::format("expected a key name, got {}", describe(entry.key)));
    }
    if (std::find(known.begin(), known.end(), entry.key.Scalar()) == known.end()) {
      throw error_at(*origin, entry.key.Mark(), entry.value.path, unknown_key_message(entry.key.Scalar(), known));
    }
  }
}

MapAt MapAt::block(std::string_view key) const {
  if (auto value = find(key)) return as_block(*value);
  return MapAt{origin, YAML::Node(), mark, join_key(path, key)};
}

MapAt as_block(const ValueAt& value) {
  if (!value.node.IsMap() && !value.node.IsNull()) {
    value.fail(fmt::format("expected a mapping, got {}", describe(value.node)));
  }
  return MapAt{value.origin, value.node, value.mark, value.path};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return is_quoted(node) ? fmt::format("the string \"{}\"", node.Scalar()) : fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Sequence: return node.size() == 0 ? "[]" : "a sequence";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

std::int64_t to_integer(const ValueAt& value, const Range& range) {
  const YAML::Node& node = value.node;
  if (!node.IsScalar() || is_quoted(node)) value.fail(fmt::format("expected an integer, got {}", describe(node)));
  std::string_view s = strip_plus(node.Scalar());
  std::int64_t x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec == std::errc::result_out_of_range) value.fail(fmt::format("'{}' does not fit in 64 bits", node.Scalar()));
  if (ec != std::errc() || end != s.data() + s.size()) {
    value.fail(fmt::format("expected an integer, got {}", describe(node)));
  }
  check_range(value, static_cast<double>(x), range);
  return x;
}

double to_number(const ValueAt& value, const Range& range) {
  const YAML::Node& node = value.node;
  if (!node.IsScalar() || is_quoted(node)) value.fail(fmt::format("expected a number, got {}", describe(node)));
  std::string_view s = strip_plus(node.Scalar());
  double x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || end != s.data() + s.size()) {
    value.fail(fmt::format("expected a number, got {}", describe(node)));
  }
  if (!std::isfinite(x)) value.fail(fmt::format("expected a finite number, got {}", describe(node)));
  check_range(value, x, range);
  return x;
}

bool to_boolean(const ValueAt& value) {
  const YAML::Node& node = value.node;
  // YAML 1.1's yes/no/on/off are not booleans here: `ordered: no` reading as false surprises people.
  if (node.IsScalar() && !is_quoted(node)) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  value.fail(fmt::format("expected true or false, got {}", describe(node)));
}

std::string to_text(const ValueAt& value) {
  if (!value.node.IsScalar()) value.fail(fmt::format("expected a string, got {}", describe(value.node)));
  return value.node.Scalar();
}

std::string to_choice(const ValueAt& value, const std::vector<std::string>& allowed) {
  std::string text = to_text(value);
  if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
    value.fail(fmt::format("must be one of: {} (got '{}')", fmt::join(allowed, ", "), text));
  }
  return text;
}

namespace {
/// A non-empty sequence, each element read by `one` at its own position (`key[i]` in messages).
template <class One>
auto to_sequence(const ValueAt& value, std::string_view expected, One one) {
  const YAML::Node& node = value.node;
  if (!node.IsSequence() || node.size() == 0) value.fail(fmt::format("expected {}, got {}", expected, describe(node)));
  std::vector<decltype(one(value))> out;
  out.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    out.push_back(one(ValueAt{value.origin, element, element.Mark(), index_key(value.path, i)}));
  }
  return out;
}
}  // namespace

std::vector<std::int64_t> to_integers(const ValueAt& value, const Range& range) {
  return to_sequence(value, "a non-empty sequence of integers",
                     [&](const ValueAt& v) { return to_integer(v, range); });
}

std::vector<double> to_numbers(const ValueAt& value, const Range& range) {
  if (value.node.IsScalar()) return {to_number(value, range)};
  return to_sequence(value, "a number or a non-empty sequence of numbers",
                     [&](const ValueAt& v) { return to_number(v, range); });
}

std::vector<std::string> to_texts(const ValueAt& value) {
  return to_sequence(value, "a non-empty sequence of strings", [](const ValueAt& v) { return to_text(v); });
}

std::uint64_t to_byte_size(const ValueAt& value) {
  if (!value.node.IsScalar()) {
    value.fail(fmt::format("expected a byte size such as 4GiB, got {}", describe(value.node)));
  }
  try {
    return parse_byte_size(value.node.Scalar());
  } catch (const Error& e) {
    value.fail(e.what());
  }
}

}  // namespace feedgraph::detail
