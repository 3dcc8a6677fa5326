#include "tools/timeline/lanes.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <tuple>

namespace feedgraph::detail {
namespace {

constexpr std::array<std::string_view, 5> kPipelineOrder{"read", "transform", "pin", "copy", "compute"};

/// Sorts lanes: group (0 workers, 1 streams, 2 other), then node rank, then worker index, then name.
struct LaneKey {
  int group = 2;
  int rank = 0;
  long index = 0;
  std::string name;

  explicit LaneKey(const std::string& lane) : name(lane) {
    const std::string_view text(lane);
    if (const auto slash = text.rfind('/'); slash != std::string_view::npos && slash + 1 < text.size()) {
      const auto digits = text.substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec == std::errc() && end == digits.data() + digits.size()) {
        group = 0;
        rank = node_rank(text.substr(0, slash));
        return;
      }
      index = 0;
    }
    if (text.ends_with(" stream")) {
      group = 1;
      rank = node_rank(text.substr(0, text.size() - 7));
    }
  }

  bool operator<(const LaneKey& o) const {
    return std::tie(group, rank, index, name) < std::tie(o.group, o.rank, o.index, o.name);
  }
};

}  // namespace

int node_rank(std::string_view node) {
  const auto it = std::find(kPipelineOrder.begin(), kPipelineOrder.end(), node);
  return static_cast<int>(it - kPipelineOrder.begin());
}

std::vector<std::string> ordered_lanes(const std::vector<TimelineSpan>& timeline) {
  std::set<std::string> names;
  for (const auto& span : timeline) names.insert(span.lane);
  std::vector<LaneKey> keys(names.begin(), names.end());
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (auto& key : keys) out.push_back(std::move(key.name));
  return out;
}

std::vector<std::string> ordered_nodes(const std::vector<TimelineSpan>& timeline) {
  std::set<std::string> names;
  for (const auto& span : timeline) names.insert(span.node);
  std::vector<std::string> out(names.begin(), names.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return node_rank(a) < node_rank(b); });
  return out;
}

}  // namespace feedgraph::detail
