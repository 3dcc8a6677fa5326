// What a PipelineSpec derives from its settings, and its serial twin: each the RunSettings answer for the
// file's own settings, so that there is one formula.
#include "feedgraph/settings.hpp"
#include "feedgraph/spec.hpp"

namespace feedgraph {

bool PipelineSpec::batches_from_cache() const {
  return data.cache && transforms.empty() && !decodes_on_device() && !data.shuffle && !data.shard.automatic &&
         data.shard.count == 1;
}

bool PipelineSpec::decodes_on_device() const {
  return !device_transforms.empty() && device_transforms.front().name == "decode_jpeg";
}

int PipelineSpec::pinned_slots() const { return GraphShape::of(*this, RunSettings::of(*this)).pinned_slots; }

int PipelineSpec::device_buffers() const { return GraphShape::of(*this, RunSettings::of(*this)).device_buffers; }

std::vector<std::string> PipelineSpec::auto_keys() const { return RunSettings::of(*this).auto_keys(); }

std::string PipelineSpec::variant() const { return RunSettings::of(*this).variant(); }

PipelineSpec serial_twin(const PipelineSpec& spec) {
  PipelineSpec twin = spec;
  const RunSettings s = RunSettings::of(spec).serial();
  twin.concurrency = s.concurrency;
  twin.prefetch = s.prefetch;
  twin.buffers = s.buffers;
  twin.transfer = s.transfer;
  return twin;
}

}  // namespace feedgraph
