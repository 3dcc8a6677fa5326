// StageOptions (options.hpp): a stage's options block read through typed, strict getters that record which
// keys they were asked for, so the engine can reject the rest.
#include "feedgraph/options.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "spec/stage_options_impl.hpp"

namespace feedgraph {
namespace detail {

void KeyLedger::mark_asked(const std::string& block_path, std::string_view key) {
  std::lock_guard lock(mutex_);
  std::vector<std::string>& keys = asked_by_block_[block_path];
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.emplace_back(key);
}

bool KeyLedger::was_asked(const std::string& block_path, std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = asked_by_block_.find(block_path);
  return it != asked_by_block_.end() && std::find(it->second.begin(), it->second.end(), key) != it->second.end();
}

std::vector<std::string> KeyLedger::asked(const std::string& block_path) const {
  std::lock_guard lock(mutex_);
  auto it = asked_by_block_.find(block_path);
  return it == asked_by_block_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace detail

namespace {

// Depth first, in file order: the first stray key reported is the first one in the file. A key that was
// asked for and holds a mapping was read by child() (every other getter rejects a mapping), so its keys are
// checked too.
void reject_unknown_in(const detail::MapAt& block, const detail::KeyLedger& ledger) {
  for (const detail::MapAt::Entry& entry : block.entries()) {
    std::string key = entry.key.IsScalar() ? entry.key.Scalar() : detail::describe(entry.key);
    if (!entry.key.IsScalar() || !ledger.was_asked(block.path, key)) {
      throw detail::error_at(*block.origin, entry.key.Mark(), entry.value.path,
                             detail::unknown_key_message(key, ledger.asked(block.path)));
    }
    if (entry.value.node.IsMap()) reject_unknown_in(detail::as_block(entry.value), ledger);
  }
}

// Options built in code with no block behind them; errors about them (only fail() can raise one) name code.
std::shared_ptr<const detail::YamlOrigin> default_origin() {
  auto origin = std::make_shared<detail::YamlOrigin>();
  origin->file = "<code>";
  return origin;
}

}  // namespace

std::shared_ptr<StageOptions::Impl> StageOptions::Impl::make(YAML::Node node, YAML::Mark mark,
                                                             std::shared_ptr<const detail::YamlOrigin> origin,
                                                             std::string path) {
  detail::MapAt block{origin.get(), std::move(node), mark, std::move(path)};
  return std::make_shared<Impl>(Impl{std::move(block), std::move(origin), std::make_shared<detail::KeyLedger>()});
}

StageOptions::StageOptions()
    : impl_(Impl::make(YAML::Node(), YAML::Mark::null_mark(), default_origin(), "")) {}
StageOptions::~StageOptions() = default;
StageOptions::StageOptions(const StageOptions&) = default;
StageOptions& StageOptions::operator=(const StageOptions&) = default;
StageOptions::StageOptions(StageOptions&&) noexcept = default;
StageOptions& StageOptions::operator=(StageOptions&&) noexcept = default;
StageOptions::StageOptions(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

StageOptions StageOptions::parse(std::string_view yaml_map, std::string origin) {
  auto source = std::make_shared<detail::YamlOrigin>();
  source->file = std::move(origin);
  YAML::Node node;
  try {
    node = YAML::Load(std::string(yaml_map));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source->file, e.mark.line + 1, e.mark.column + 1, "", e.msg);
  }
  if (!node.IsMap() && !node.IsNull()) {
    throw detail::error_at(*source, node.Mark(), "",
                           fmt::format("expected a mapping of options, got {}", detail::describe(node)));
  }
  detail::check_no_duplicates(node, *source, "");
  YAML::Mark mark = node.Mark();
  return StageOptions(Impl::make(std::move(node), mark, std::move(source), ""));
}

bool StageOptions::has(std::string_view key) const { return impl_->block.find(key).has_value(); }

double StageOptions::number(std::string_view key, double fallback, Range range) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_number(*value, range) : fallback;
}

std::int64_t StageOptions::integer(std::string_view key, std::int64_t fallback, Range range) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_integer(*value, range) : fallback;
}

bool StageOptions::boolean(std::string_view key, bool fallback) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_boolean(*value) : fallback;
}

std::string StageOptions::text(std::string_view key, std::string fallback) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_text(*value) : fallback;
}

std::string StageOptions::choice(std::string_view key, std::string fallback,
                                 const std::vector<std::string>& allowed) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_choice(*value, allowed) : fallback;
}

std::vector<std::int64_t> StageOptions::integers(std::string_view key, std::vector<std::int64_t> fallback,
                                                 Range range) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_integers(*value, range) : fallback;
}

std::vector<double> StageOptions::numbers(std::string_view key, std::vector<double> fallback, Range range) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_numbers(*value, range) : fallback;
}

std::vector<std::string> StageOptions::texts(std::string_view key, std::vector<std::string> fallback) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  auto value = impl_->block.find(key);
  return value ? detail::to_texts(*value) : fallback;
}

StageOptions StageOptions::child(std::string_view key) const {
  impl_->ledger->mark_asked(impl_->block.path, key);
  // Same origin, same ledger: the parent's reject_unknown() checks what the child was asked.
  return StageOptions(std::make_shared<Impl>(Impl{impl_->block.block(key), impl_->origin, impl_->ledger}));
}

void StageOptions::fail(std::string_view key, const std::string& message) const {
  if (!key.empty()) {
    if (auto value = impl_->block.find(key)) value->fail(message);
  }
  const detail::MapAt& block = impl_->block;
  throw detail::error_at(*block.origin, block.mark, detail::join_key(block.path, key), message);
}

void StageOptions::reject_unknown() const { reject_unknown_in(impl_->block, *impl_->ledger); }

const std::string& StageOptions::path() const { return impl_->block.path; }

}  // namespace feedgraph
