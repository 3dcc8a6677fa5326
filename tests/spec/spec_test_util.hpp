#pragma once
// Helpers for the spec suites: catch the ConfigError an action throws, and compare where it points in one
// check that prints file, line, column and key path on failure.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"

namespace spec_test {

struct Where {
  std::string file;
  int line = 0;
  int column = 0;
  std::string key_path;
  bool operator==(const Where&) const = default;
};

inline Where where(const feedgraph::ConfigError& e) { return {e.file(), e.line(), e.column(), e.key_path()}; }

/// The ConfigError `action` throws; fails the test case when it throws nothing or something else.
template <typename Action>
feedgraph::ConfigError config_error(Action&& action) {
  try {
    action();
  } catch (const feedgraph::ConfigError& e) {
    return e;
  }
  FAIL("expected a feedgraph::ConfigError");
  throw std::logic_error("unreachable");  // FAIL leaves the test case; this keeps the compiler content
}

/// Parse `yaml` as the file `test.yaml` and return the error it must raise.
inline feedgraph::ConfigError pipeline_error(std::string_view yaml, const std::vector<std::string>& overrides = {}) {
  return config_error([&] { feedgraph::parse_pipeline(yaml, "test.yaml", overrides); });
}

}  // namespace spec_test

namespace doctest {
template <>
struct StringMaker<spec_test::Where> {
  static String convert(const spec_test::Where& w) {
    std::string s = w.file + ":" + std::to_string(w.line) + ":" + std::to_string(w.column) + " [" + w.key_path + "]";
    return String(s.c_str());
  }
};
}  // namespace doctest
