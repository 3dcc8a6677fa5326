#include "graph/assembly.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>

#include <oneapi/tbb/info.h>

#include "feedgraph/errors.hpp"
#include "graph/thread_count.hpp"
#include "feedgraph/resources.hpp"
#include "stages/registry.hpp"

namespace feedgraph::detail {
namespace {

// `shard: auto` becomes the launcher's rank and world size (one shard of one when no launcher says).
ShardSpec resolve_shard(const ShardSpec& shard, const LauncherRank& rank, std::string& from) {
  if (!shard.automatic) return shard;
  ShardSpec resolved = shard;
  resolved.automatic = false;
  resolved.index = rank.rank;
  resolved.count = rank.world;
  from = rank.from ? rank.from : "no launcher variables: one shard";
  return resolved;
}

// A shape comes from the pipeline file (synthetic's `sample.shape`) or a source's files, and a transform may
// grow it: it is sized here, where it enters the graph, before anything multiplies it out (an oversized one
// overflowed int64 in SampleLayout::elements()).
void check_sample_size(const SampleLayout& layout, const StageOptions& where) {
  const std::optional<std::uint64_t> bytes = layout.checked_bytes();
  if (!bytes || *bytes > kMaxSampleBytes) where.fail("", "samples of " + layout.describe() + " are larger than 1 TiB");
}

// The dataset's bytes together are bounded too: a count the file names (synthetic's `samples`) may be anything,
// and samples x their size is taken for `cache` (Source::total_bytes) and the sample order, where a wrapped
// product planned an empty cache and a count over 2^62 shifted a 64-bit value by 64.
void check_dataset_size(const Source& source, const StageOptions& where) {
  constexpr std::uint64_t kMaxDatasetBytes = std::uint64_t{1} << 62;  // 4 EiB
  const auto samples = static_cast<std::uint64_t>(std::max<std::int64_t>(source.size(), 0));
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(samples, std::max<std::uint64_t>(source.largest_sample_bytes(), 1), &total) ||
      total > kMaxDatasetBytes) {
    where.fail("", std::to_string(source.size()) + " samples of " + source.layout().describe() +
                       " make a dataset larger than 4 EiB");
  }
}

// The plan's sizes are products of counts from the file (batch_size, prefetch, buffers) and sample sizes: a
// product past 2^64 bytes is no graph any machine allocates, and wrapped around it planned a small number.
[[noreturn]] void beyond_any_memory() {
  throw Error("memory: the graph's buffers would need more than 2^64 bytes: lower batch_size, prefetch, "
              "buffers.pinned or buffers.device");
}
std::uint64_t mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) beyond_any_memory();
  return r;
}
std::uint64_t add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) beyond_any_memory();
  return r;
}
void add_to(std::uint64_t& to, std::uint64_t bytes) { to = add(to, bytes); }

void plan_memory(const Assembly& a, Plan& p) {
  const RunSettings& settings = p.settings;
  const GraphShape& shape = p.shape;
  MemoryPlan& m = p.memory;
  // Every byte the run will hold, counted before anything is allocated.
  const auto batch = static_cast<std::uint64_t>(p.batch_bytes);
  const auto batch_size = static_cast<std::uint64_t>(a.spec.batch_size);
  const auto prefetch = static_cast<std::uint64_t>(settings.prefetch);
  const auto slots = static_cast<std::uint64_t>(shape.device_buffers);
  if (!shape.from_cache) add_to(shape.direct ? m.pinned_bytes : m.host_bytes, mul(prefetch, batch));
  // Samples that change layout on their way to the batch wait in staging buffers, one per sample of each
  // batch in flight between read and transform.
  add_to(m.host_bytes, mul(mul(prefetch, batch_size), a.staging_sample_bytes));
  if (a.spec.data.cache) {
    m.cache_bytes = a.source->total_bytes();
    add_to(shape.cache_pinned ? m.pinned_bytes : m.host_bytes, m.cache_bytes);
    add_to(m.host_bytes, mul(static_cast<std::uint64_t>(p.dataset_samples), sizeof(std::int64_t)));  // its labels
  }
  add_to(m.pinned_bytes, mul(static_cast<std::uint64_t>(shape.pinned_slots), batch));
  const std::uint64_t labels = mul(batch_size, sizeof(std::int64_t));
  const std::uint64_t transformed = a.device_transform.active() ? mul(batch_size, a.device_transform.out.bytes()) : 0;
  // One device buffer: the batch that crossed, its labels, and the device transforms' output.
  const std::uint64_t per_buffer = add(add(batch, labels), transformed);
  m.device_bytes = add(mul(slots, per_buffer), a.compute->scratch_bytes(a.device.kind));
  if (a.device.kind == BackendKind::cuda) add_to(m.pinned_bytes, mul(slots, add(2 * sizeof(std::uint64_t), labels)));
  add(add(m.host_bytes, m.pinned_bytes), m.device_bytes);  // total() must not wrap either

  if (settings.memory_budget > 0 && m.total() > settings.memory_budget) {
    const std::string message =
        "the graph needs " + format_bytes(m.total()) + " (host " + format_bytes(m.host_bytes) + ", pinned " +
        format_bytes(m.pinned_bytes) + ", device " + format_bytes(m.device_bytes) + "), over memory_budget " +
        format_bytes(settings.memory_budget) + ": lower prefetch, buffers.pinned, buffers.device" +
        // A count the file did not set is the first to look at: say where it came from.
        (settings.buffers.device > 0 || !a.device_transform.decode
             ? ""
             : " (" + std::to_string(shape.device_buffers) + " of " + format_bytes(per_buffer) +
                   ", decode_jpeg's lanes + 2)") +
        " or batch_size";
    // The file's own budget: the error points at the key that set it, as a parse error would.
    if (settings.memory_budget == a.spec.memory_budget) a.spec.top.fail("memory_budget", message);
    throw Error("memory: " + message);
  }
}

std::atomic<std::int64_t> assembled{0};

/// `device_transforms: [decode_jpeg, <geometry>..., <element-wise>...]`: encoded files cross the link as read
/// (a ragged batch) and are decoded on the device. Checks what the device can run; the host builds the
/// decoder and the geometry transforms (the same factories, options and draws as in `transforms`).
DeviceTransform plan_device_decode(Assembly& a, const SampleLayout& encoded) {
  const PipelineSpec& spec = a.spec;
  const std::vector<StageSpec>& list = spec.device_transforms;
  const StageOptions& first = list.front().options;
  // Made before the check below: GCC 13 otherwise infers a one-entry shape and warns (-Warray-bounds, wrongly)
  // about copying it.
  const StageContext context{encoded, spec.batch_size};
  if (encoded.shape.size() != 1 || encoded.dtype != DType::u8)
    first.fail("", "decode_jpeg on the device reads encoded files, one uint8 byte string per sample (such as "
                   "source: images reads); the source gives " + encoded.describe());
  DeviceDecode d;
  read_device_decode_options(first, d);  // before the factory, whose reject_unknown() then knows these keys
  a.device_stages.push_back(build_transform(list.front(), context));
  d.decoder = a.device_stages.back().get();
  if (a.device.kind == BackendKind::cuda) {
    // Asked before anything is allocated: a build without nvJPEG, or a GPU without the engines asked for.
    if (const std::string why = nvjpeg_unavailable(a.device.index, d.backend); !why.empty())
      first.fail(first.has("backend") ? "backend" : "", why);
  }
  SampleLayout layout = d.decoder->output(encoded);
  d.channels = layout.shape.size() == 3 ? layout.shape[2] : 1;
  std::size_t i = 1;
  const StageSpec* resampler = nullptr;
  for (; i < list.size() && is_device_geometry(list[i].name); ++i) {
    if (list[i].name != "random_flip") {
      if (resampler)
        list[i].options.fail("", "the device resamples each image once after decode_jpeg: " + list[i].name +
                                     " after " + resampler->name + " would resample twice; keep one crop or resize");
      resampler = &list[i];
    }
    a.device_stages.push_back(build_transform(list[i], StageContext{layout, spec.batch_size}));
    d.geometry.push_back(a.device_stages.back().get());
    layout = a.device_stages.back()->output(layout);
  }
  if (!layout.fixed())
    list[i - 1].options.fail("", "after decode_jpeg the images still vary in size (" + layout.describe() +
                                     "): follow it with center_crop, random_resized_crop or resize to a fixed size");
  DeviceTransform t = plan_device_transform(std::vector<StageSpec>(list.begin() + static_cast<std::ptrdiff_t>(i), list.end()), layout);
  t.decode = std::move(d);
  t.channels_last = true;  // the geometry's output: HWC, whatever the element-wise list does with it
  t.height = layout.shape[0];
  t.width = layout.shape[1];
  t.channels = layout.shape[2];
  return t;
}

}  // namespace

std::unique_ptr<Assembly> assemble(const PipelineSpec& spec_in) {
  assembled.fetch_add(1, std::memory_order_relaxed);
  auto owner = std::make_unique<Assembly>();
  Assembly& a = *owner;
  const LauncherRank rank = launcher_rank();
  a.spec = spec_in;
  Plan& p = a.base;
  a.spec.data.shard = resolve_shard(spec_in.data.shard, rank, p.shard_from);
  const PipelineSpec& spec = a.spec;
  a.device = choose_device(spec.device, rank.local_rank);

  a.source = build_source(spec.dataset, StageContext{});
  const SampleLayout source_layout = a.source->layout();
  check_sample_size(source_layout, spec.dataset.options);
  check_dataset_size(*a.source, spec.dataset.options);
  if (source_layout.fixed() && source_layout.bytes() == 0) spec.dataset.options.fail("", "the source's samples have no bytes");
  const bool ragged = spec.decodes_on_device();
  for (std::size_t i = 1; i < spec.device_transforms.size(); ++i)
    if (spec.device_transforms[i].name == "decode_jpeg")
      spec.device_transforms[i].options.fail("", "decode_jpeg comes first in device_transforms: the files cross the link "
                                                 "encoded and are decoded before anything else runs on them");
  if (ragged && !spec.transforms.empty())
    spec.transforms.front().options.fail(
        "", "with decode_jpeg in device_transforms the files cross the link as read: leave transforms empty and "
            "put " + spec.transforms.front().name + " in device_transforms after decode_jpeg");
  // Each transform is built for the layout the one before it leaves.
  SampleLayout layout = source_layout;
  for (const auto& t : spec.transforms) {
    a.transforms.push_back(build_transform(t, StageContext{layout, spec.batch_size}));
    layout = a.transforms.back()->output(layout);
    check_sample_size(layout, t.options);
  }
  if (!layout.fixed() && !ragged) {
    const StageOptions& where = spec.transforms.empty() ? spec.dataset.options : spec.transforms.back().options;
    where.fail("", "samples still vary in size (" + layout.describe() +
                       ") where they enter the batch: end the transforms with one that fixes the size, such as "
                       "center_crop or random_resized_crop");
  }
  a.chain = SampleChain(&a.transforms, &spec.transforms, source_layout);
  a.device_transform = ragged ? plan_device_decode(a, layout) : plan_device_transform(spec.device_transforms, layout);
  const SampleLayout compute_layout = a.device_transform.out;
  a.compute = build_compute(spec.compute, StageContext{compute_layout, spec.batch_size});

  p.backend = a.device.kind == BackendKind::cuda ? "cuda" : "host";
  p.device_index = a.device.index;
  p.device_name = a.device.name;
  p.device_reason = a.device.reason;
  p.source_layout = source_layout;
  p.transfer_layout = layout;
  p.ragged = ragged;
  p.layout = compute_layout;
  p.dataset_samples = a.source->size();
  p.shard_index = spec.data.shard.index;
  p.shard_count = spec.data.shard.count;
  p.local_rank = rank.local_rank;
  p.local_world = rank.local_world;
  p.core_share = core_share(tbb::info::default_concurrency(), rank.local_world, rank.local_rank);
  if (p.dataset_samples < 1) spec.dataset.options.fail("", "the dataset has no samples");
  // A shard the dataset leaves empty, or a launcher's rank past its world size, is the file's `dataset.shard`
  // to answer for: the error points at that key.
  if (spec.data.shard.index < 0 || spec.data.shard.index >= spec.data.shard.count)
    spec.top.child("dataset").fail("shard", "shard " + std::to_string(spec.data.shard.index) + " of " +
                                           std::to_string(spec.data.shard.count) + " does not exist (" + p.shard_from + ")");
  try {
    a.order = SampleOrder(p.dataset_samples, spec.data.shuffle, spec.seed, spec.data.shard);
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    spec.top.child("dataset").fail("shard", e.what());
  }
  p.samples = a.order.size();
  // Rounded up without samples + batch_size - 1, which overflows for a batch_size near 2^63.
  p.batches_per_epoch = p.samples / spec.batch_size + (!spec.drop_last && p.samples % spec.batch_size != 0 ? 1 : 0);
  if (p.batches_per_epoch == 0)
    throw ConfigError(spec.origin, 0, 0, "drop_last",
                      "the dataset's " + std::to_string(p.samples) + " samples make no full batch of " +
                          std::to_string(spec.batch_size) + ": nothing would run");
  const std::int64_t full_batch = std::min<std::int64_t>(spec.batch_size, p.samples);
  // A ragged batch is at most its largest files together, each padded to 8 bytes.
  p.batch_bytes = ragged ? add(a.source->largest_batch_bytes(full_batch), mul(7, static_cast<std::uint64_t>(full_batch)))
                         : mul(layout.bytes(), static_cast<std::uint64_t>(full_batch));
  a.staging_sample_bytes = a.chain.direct() || ragged ? 0 : a.source->largest_sample_bytes();
  return owner;
}

Plan plan_run(const Assembly& a, const RunSettings& settings) {
  // `auto` is a question for a tune, not a size: no pool can be sized, or graph built, from it.
  if (const auto keys = settings.auto_keys(); !keys.empty()) {
    std::string list;
    for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
    throw Error(list + ": `auto` is chosen by a short tune when the pipeline is built (feedgraph run and "
                       "compare, feedgraph::Pipeline, or feedgraph::resolve_auto); a plan and a run need a number");
  }
  const PipelineSpec& spec = a.spec;
  Plan p = a.base;
  p.settings = settings;
  p.epochs = settings.epochs > 0 ? settings.epochs : spec.epochs;
  p.shape = GraphShape::of(spec, settings);
  if (__builtin_mul_overflow(p.batches_per_epoch, static_cast<std::int64_t>(p.epochs), &p.batches))
    throw ConfigError(spec.origin, 0, 0, "epochs",
                      std::to_string(p.epochs) + " epochs of " + std::to_string(p.batches_per_epoch) +
                          " batches are more batches than a run can count (2^63)");
  if (a.resume) p.batches = run_order(a, p).batches();  // the rest of the resumed epoch, then whole ones
  plan_memory(a, p);
  return p;
}

}  // namespace feedgraph::detail

namespace feedgraph {

std::int64_t assemblies_built() noexcept { return detail::assembled.load(std::memory_order_relaxed); }

}  // namespace feedgraph

namespace feedgraph::detail {

RunOrder run_order(const Assembly& a, const Plan& plan) {
  return RunOrder(a.order, a.spec.data.shard, a.spec.batch_size, a.spec.drop_last, plan.epochs,
                  a.resume ? &*a.resume : nullptr);
}

}  // namespace feedgraph::detail
