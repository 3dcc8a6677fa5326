#pragma once
// Builds stages from their StageSpec through the registry, with the strictness of the pipeline file:
// an unknown stage name or an unread option key is a ConfigError.
#include <memory>

#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"

namespace feedgraph::detail {

std::unique_ptr<Source> build_source(const StageSpec& spec, const StageContext& ctx);
std::unique_ptr<Transform> build_transform(const StageSpec& spec, const StageContext& ctx);
std::unique_ptr<ComputeStage> build_compute(const StageSpec& spec, const StageContext& ctx);

}  // namespace feedgraph::detail

namespace feedgraph {
/// Defined in stages/builtin.cpp: one registration line per built-in stage.
void register_builtin_stages();
}  // namespace feedgraph
