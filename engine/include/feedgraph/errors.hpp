#pragma once
// The one exception hierarchy of feedgraph. Every error a run can end with is one of these, so a
// caller can catch `feedgraph::Error` and print `what()`, or catch a subclass for the structured fields.
//
//   try { auto stats = feedgraph::run(spec); }
//   catch (const feedgraph::ConfigError& e) { std::cerr << e.what(); return 2; }   // file:line:col: key: message
//   catch (const feedgraph::Error& e)       { std::cerr << e.what(); return 1; }
//
// Each public function's comment says which of these it throws. std::bad_alloc, which anything that
// allocates may throw, goes unsaid: "Throws nothing." leaves it out.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace feedgraph {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A pipeline file (or `--set` override) that cannot be run. `line` and `column` are 1-based; 0 when the
/// problem has no position (an empty file, a missing key reported at its parent).
class ConfigError : public Error {
 public:
  /// Builds what() ("file:line:col: key.path: message", leaving out what is unknown) once, here, so that
  /// printing the error never allocates. Throws nothing.
  ConfigError(std::string file, int line, int column, std::string key_path, std::string message);
  /// An error about the file as a whole (unreadable, empty, not YAML at all). Throws nothing.
  ConfigError(std::string file, std::string message);

  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }
  int column() const noexcept { return column_; }
  const std::string& key_path() const noexcept { return key_path_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  int line_ = 0;
  int column_ = 0;
  std::string key_path_;
  std::string message_;
};

/// A stage threw while working on a batch. `sample` is -1 when the failure is not tied to one sample.
class StageError : public Error {
 public:
  /// what() is "node 'read' failed on batch 5 (sample 42): message"; a negative batch or sample is left out.
  /// Throws nothing.
  StageError(std::string node, std::int64_t batch, std::int64_t sample, std::string message);

  const std::string& node() const noexcept { return node_; }
  std::int64_t batch() const noexcept { return batch_; }
  std::int64_t sample() const noexcept { return sample_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string node_;
  std::int64_t batch_;
  std::int64_t sample_;
  std::string message_;
};

/// Bad input data: a truncated record, a bad header, an undecodable image. A source or transform throws it for
/// one sample; the dataset's `on_error` decides whether the run fails (a StageError carrying this message) or
/// skips the sample and counts it. `where` names the file and offset ("data/a.rec offset 4096"); a transform
/// may leave it empty and the engine fills in where the sample came from.
class DataError : public Error {
 public:
  /// what() is "where: message", or the message alone when `where` is empty. Throws nothing.
  DataError(std::string where, std::string message);

  const std::string& where() const noexcept { return where_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string where_;
  std::string message_;
};

/// A CUDA runtime (or cuBLAS) call failed. `code` is the numeric status, `name` its symbolic name.
class CudaError : public Error {
 public:
  /// what() is "call failed: name (code): description". Throws nothing.
  CudaError(std::string call, int code, std::string name, std::string description);

  const std::string& call() const noexcept { return call_; }
  int code() const noexcept { return code_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string call_;
  int code_;
  std::string name_;
};

/// The graph stopped making progress for `watchdog_s` seconds; the message names each node's state.
class StallError : public Error {
 public:
  using Error::Error;
};

}  // namespace feedgraph
