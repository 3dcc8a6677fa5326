#pragma once
// Writing a bench's --json results, shared by feedgraph-bench and feedgraph-tune-bench.
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace feedgraph::bench {

/// Writes `doc` to `path`, indented; on failure says so on stderr as `program` and returns false.
inline bool write_json_file(const nlohmann::json& doc, const std::string& path, const char* program) {
  std::ofstream f(path);
  f << doc.dump(2) << "\n";
  if (!f) fmt::print(stderr, "{}: cannot write {}\n", program, path);
  return static_cast<bool>(f);
}

}  // namespace feedgraph::bench
