// Constructors of the exception hierarchy (errors.hpp). Each builds its what() once, up front, so that
// printing an error never allocates or fails.
#include "feedgraph/errors.hpp"

#include <fmt/format.h>

namespace feedgraph {
namespace {

// "file:line:col: key.path: message", dropping the parts that are unknown: a line of 0 means the problem has
// no position in the file (an override, a missing key), an empty key path means it is about no one key.
std::string config_what(const std::string& file, int line, int column, const std::string& key_path,
                        const std::string& message) {
  std::string out = file;
  if (line > 0) {
    out += fmt::format(":{}", line);
    if (column > 0) out += fmt::format(":{}", column);
  }
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

std::string stage_what(const std::string& node, std::int64_t batch, std::int64_t sample,
                       const std::string& message) {
  std::string out = fmt::format("node '{}' failed", node);
  if (batch >= 0) out += fmt::format(" on batch {}", batch);
  if (sample >= 0) out += fmt::format(" (sample {})", sample);
  return out + ": " + message;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string key_path, std::string message)
    : Error(config_what(file, line, column, key_path, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

ConfigError::ConfigError(std::string file, std::string message)
    : ConfigError(std::move(file), 0, 0, std::string(), std::move(message)) {}

StageError::StageError(std::string node, std::int64_t batch, std::int64_t sample, std::string message)
    : Error(stage_what(node, batch, sample, message)),
      node_(std::move(node)),
      batch_(batch),
      sample_(sample),
      message_(std::move(message)) {}

DataError::DataError(std::string where, std::string message)
    : Error(where.empty() ? message : where + ": " + message), where_(std::move(where)), message_(std::move(message)) {}

CudaError::CudaError(std::string call, int code, std::string name, std::string description)
    : Error(fmt::format("{} failed: {} ({}): {}", call, name, code, description)),
      call_(std::move(call)),
      code_(code),
      name_(std::move(name)) {}

}  // namespace feedgraph
