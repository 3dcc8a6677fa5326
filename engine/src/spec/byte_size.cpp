// Byte sizes as people write them in pipeline files (`memory_budget: 4GiB`) and as reports print them.
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t bytes;
};

// Both conventions, because both are in use: GB is 10^9 (disk and link vendors), GiB is 2^30 (memory).
constexpr std::array<Unit, 11> kUnits{{{"", 1},
                                       {"B", 1},
                                       {"KB", 1'000},
                                       {"kB", 1'000},
                                       {"MB", 1'000'000},
                                       {"GB", 1'000'000'000},
                                       {"TB", 1'000'000'000'000},
                                       {"KiB", std::uint64_t{1} << 10},
                                       {"MiB", std::uint64_t{1} << 20},
                                       {"GiB", std::uint64_t{1} << 30},
                                       {"TiB", std::uint64_t{1} << 40}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  throw Error(fmt::format("invalid byte size '{}': {}", text, why));
}

}  // namespace

std::uint64_t parse_byte_size(std::string_view text) {
  constexpr std::string_view kForm = "expected a count with an optional unit, e.g. 4GiB, 512 MiB, 2.5GB or 1048576";
  std::string_view s = trim(text);
  // The number: digits, optionally a fraction. No sign and no exponent: a size is never negative, and
  // "1e9" is clearer as "1GB".
  std::size_t end = 0;
  while (end < s.size() && is_digit(s[end])) ++end;
  std::size_t whole_digits = end;
  bool fraction = end < s.size() && s[end] == '.';
  if (fraction) {
    ++end;
    std::size_t fraction_start = end;
    while (end < s.size() && is_digit(s[end])) ++end;
    if (end == fraction_start) invalid(text, kForm);
  }
  if (whole_digits == 0) invalid(text, kForm);

  std::string_view unit_name = trim(s.substr(end));
  const Unit* unit = nullptr;
  for (const Unit& u : kUnits) {
    if (u.name == unit_name) unit = &u;
  }
  if (unit == nullptr) {
    invalid(text, fmt::format("unknown unit '{}' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)", unit_name));
  }

  std::string_view number = s.substr(0, end);
  if (!fraction) {
    std::uint64_t count = 0;
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (ec != std::errc() || p != number.data() + number.size() ||
        count > std::numeric_limits<std::uint64_t>::max() / unit->bytes) {
      invalid(text, "too large");
    }
    return count * unit->bytes;
  }
  double value = 0;
  std::from_chars(number.data(), number.data() + number.size(), value);  // validated above
  double bytes = std::round(value * static_cast<double>(unit->bytes));
  if (unit->bytes == 1 && bytes != value) invalid(text, "a byte count must be a whole number");
  if (!(bytes < 18446744073709551616.0)) invalid(text, "too large");  // 2^64
  return static_cast<std::uint64_t>(bytes);
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr std::array<std::string_view, 6> kNames{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t i = 0;
  while (value >= 1024.0 && i + 1 < kNames.size()) {
    value /= 1024.0;
    ++i;
  }
  return fmt::format("{:.2f} {}", value, kNames[i]);
}

}  // namespace feedgraph
