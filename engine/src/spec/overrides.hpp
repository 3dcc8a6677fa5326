#pragma once
// `--set key.path=value` overrides, applied to the parsed tree before it is validated, so an
// overridden value is checked exactly like one written in the file.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "spec/yaml_origin.hpp"

namespace feedgraph::detail {

/// Apply `overrides` to `root` (a mapping) in order, later ones winning, and record in `origin.overrides`
/// which key path each wrote. Segments are map keys (missing ones are created) or sequence indices, written
/// `transforms.0.normalize` or `transforms[0].normalize`; the value is YAML (`8`, `false`, `[]`, `{read: 2}`).
/// A malformed override throws ConfigError with file `--set`.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides, YamlOrigin& origin);

}  // namespace feedgraph::detail
