#pragma once
// The schema of a pipeline file: from a parsed tree to a validated PipelineSpec.
#include <memory>

#include <yaml-cpp/yaml.h>

#include "feedgraph/spec.hpp"
#include "spec/yaml_origin.hpp"

namespace feedgraph::detail {

/// Validate `root` (a mapping, overrides applied, duplicates already rejected) against the schema and fill in
/// the defaults. The stage blocks keep `origin`, to report their own option errors when the stages are built.
PipelineSpec read_pipeline(const YAML::Node& root, const std::shared_ptr<const YamlOrigin>& origin);

}  // namespace feedgraph::detail
