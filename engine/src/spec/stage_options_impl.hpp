#pragma once
// What a StageOptions holds (options.hpp): one options block of the pipeline file and the record of which of
// its keys the stage's factory asked for.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "feedgraph/options.hpp"
#include "spec/yaml_origin.hpp"
#include "spec/yaml_values.hpp"

namespace feedgraph::detail {

/// The keys a stage asked for, by block path. One ledger serves a stage's block and every child() block of
/// it, so that the engine's one reject_unknown() on the stage's block also finds a stray key in a nested
/// block the factory read. Factories may be built from several threads; the ledger is locked.
class KeyLedger {
 public:
  void mark_asked(const std::string& block_path, std::string_view key);
  bool was_asked(const std::string& block_path, std::string_view key) const;
  /// The keys asked of `block_path`, in the order first asked: what the block is known to accept.
  std::vector<std::string> asked(const std::string& block_path) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>, std::less<>> asked_by_block_;
};

}  // namespace feedgraph::detail

namespace feedgraph {

struct StageOptions::Impl {
  detail::MapAt block;                              ///< the mapping (or nothing), its position and key path
  std::shared_ptr<const detail::YamlOrigin> origin;  ///< keeps `block.origin` alive; names file and overrides
  std::shared_ptr<detail::KeyLedger> ledger;         ///< shared with child blocks

  /// A stage's options block: `node` is a mapping or null (no options), `mark` the block's position for
  /// errors about an absent key, `path` its key path (`transforms[0].normalize`). Starts a fresh ledger.
  static std::shared_ptr<Impl> make(YAML::Node node, YAML::Mark mark, std::shared_ptr<const detail::YamlOrigin> origin,
                                    std::string path);
};

}  // namespace feedgraph

namespace feedgraph::detail {

/// How the parser makes an options block (StageOptions' constructor from a block is private to the engine).
struct StageOptionsAccess {
  static StageOptions make(YAML::Node node, YAML::Mark mark, std::shared_ptr<const YamlOrigin> origin,
                           std::string path) {
    return StageOptions(StageOptions::Impl::make(std::move(node), mark, std::move(origin), std::move(path)));
  }
  /// The block as written (null when the stage has no options).
  static YAML::Node node(const StageOptions& o) { return o.impl_ ? o.impl_->block.node : YAML::Node(); }
};

}  // namespace feedgraph::detail
