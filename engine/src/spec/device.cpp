// Device selection: `device: auto | cuda | cuda:N | host`.
#include <charconv>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "feedgraph/errors.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph {

DeviceSelection parse_device(std::string_view text) {
  if (text == "auto") return {DeviceSelection::Kind::automatic, 0};
  if (text == "host") return {DeviceSelection::Kind::host, 0};
  if (text == "cuda") return {DeviceSelection::Kind::cuda, 0};
  if (text.starts_with("cuda:")) {
    std::string_view digits = text.substr(5);
    int index = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    // from_chars takes a leading '-'; a device ordinal is never negative.
    if (!digits.empty() && digits.front() != '-' && ec == std::errc() && end == digits.data() + digits.size()) {
      return {DeviceSelection::Kind::cuda, index};
    }
  }
  throw Error(fmt::format("unknown device '{}': expected auto, cuda, cuda:N or host", text));
}

std::string DeviceSelection::text() const {
  switch (kind) {
    case Kind::automatic: return "auto";
    case Kind::host: return "host";
    case Kind::cuda: break;
  }
  // Always with the ordinal, so a report says which GPU even when the file said just `cuda`.
  return fmt::format("cuda:{}", index);
}

}  // namespace feedgraph
