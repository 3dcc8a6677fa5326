// The fuzz targets' entries (fuzz_entries.hpp): each runs a parser the way the engine does and checks what it
// returned with arithmetic that cannot wrap, so that a size the parser let overflow shows as a violation.
#include "fuzz_entries.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

#include <fmt/format.h>

#include "feedgraph/detail/npy_format.hpp"
#include "feedgraph/detail/npy_header.hpp"
#include "feedgraph/detail/record_format.hpp"
#include "feedgraph/errors.hpp"
#include "feedgraph/pipeline.hpp"
#include "feedgraph/spec.hpp"
#include "feedgraph/stage.hpp"
#include "backend/encoded_batch.hpp"
#include "stages/registry.hpp"

namespace feedgraph::fuzz {
namespace {

void expect(bool holds, std::string_view invariant) {
  if (!holds) throw ContractViolation(fmt::format("broken invariant: {}", invariant));
}

std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? name.get() : type.name();
}

/// Runs `parse`: returning is acceptance, a feedgraph::Error rejection, anything else a violation.
template <class Parse>
Outcome guarded(Parse&& parse) {
  try {
    parse();
    return {true, {}};
  } catch (const ContractViolation&) {
    throw;
  } catch (const Error& e) {
    return {false, e.what()};
  } catch (const std::exception& e) {
    throw ContractViolation(fmt::format("{} escaped the parser: {}", type_name(typeid(e)), e.what()));
  } catch (...) {
    throw ContractViolation("an exception that is not a std::exception escaped the parser");
  }
}

std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// A sample's bytes, computed without wrapping: nullopt when they do not fit in 64 bits.
std::optional<std::uint64_t> sample_bytes(const SampleLayout& layout) {
  std::optional<std::uint64_t> bytes = dtype_size(layout.dtype);
  for (std::int64_t d : layout.shape) {
    if (d < 0) return std::nullopt;
    if (bytes) bytes = checked_mul(*bytes, static_cast<std::uint64_t>(d));
  }
  return bytes;
}

// --- pipeline ------------------------------------------------------------------------------------------------

void check_spec(const PipelineSpec& spec) {
  expect(!spec.name.empty(), "the pipeline has a name");
  expect(!spec.dataset.name.empty() && !spec.compute.name.empty(), "dataset.source and compute.kernel are named");
  expect(spec.batch_size >= 1, "batch_size >= 1");
  expect(spec.epochs >= 1 && spec.prefetch >= 1, "epochs and prefetch >= 1");
  expect(spec.concurrency.read >= 1 && spec.concurrency.transform >= 1 && spec.concurrency.pin >= 1,
         "every concurrency >= 1");
  expect(spec.buffers.pinned >= 0 && spec.buffers.device >= 0, "buffer counts >= 0");
  expect(spec.pinned_slots() >= 0 && spec.device_buffers() >= 1, "pinned slots >= 0, device buffers >= 1");
  expect(spec.threads >= 0 && spec.threads <= 4096, "threads in [0, 4096]");
  expect(std::isfinite(spec.watchdog_s) && spec.watchdog_s > 0, "watchdog_s > 0 and finite");
  expect(spec.data.max_skipped >= 0, "max_skipped >= 0");
  const ShardSpec& shard = spec.data.shard;
  expect(shard.automatic || (shard.count >= 1 && shard.index >= 0 && shard.index < shard.count),
         "shard: auto, or 0 <= index < count");
  for (const StageSpec& t : spec.transforms) expect(!t.name.empty(), "every transform is named");
  for (const FaultSpec& f : spec.faults) {
    expect(f.batch >= 0 && std::isfinite(f.seconds) && f.seconds >= 0, "a fault's batch and seconds are >= 0");
  }

  const PipelineSpec twin = serial_twin(spec);
  expect(twin.variant() == "serial", "the serial twin is serial");
  expect(twin.concurrency.read == 1 && twin.concurrency.transform == 1 && twin.concurrency.pin == 1 &&
             twin.prefetch == 1 && twin.pinned_slots() == 0,
         "the serial twin has every concurrency 1, prefetch 1 and no pinned slot");
  expect(twin.batch_size == spec.batch_size && twin.epochs == spec.epochs && twin.dataset.name == spec.dataset.name,
         "the serial twin reads what the pipeline reads");
}

void check_plan(const PipelineSpec& spec, const Plan& p) {
  expect(p.dataset_samples >= 1 && p.samples >= 1 && p.samples <= p.dataset_samples,
         "1 <= samples per epoch <= dataset samples");
  expect(p.batches_per_epoch >= 1, "at least one batch per epoch");
  const auto batches = checked_mul(static_cast<std::uint64_t>(p.batches_per_epoch), static_cast<std::uint64_t>(spec.epochs));
  expect(batches && *batches == static_cast<std::uint64_t>(p.batches), "batches == batches per epoch * epochs");
  const auto sample = sample_bytes(p.transfer_layout);
  expect(sample.has_value() && *sample > 0, "a sample's bytes fit in 64 bits and are not 0");
  const auto batch = checked_mul(*sample, static_cast<std::uint64_t>(std::min(spec.batch_size, p.samples)));
  expect(batch && *batch == p.batch_bytes, "batch_bytes == sample bytes * samples in a full batch, without wrapping");
  if (spec.data.cache) {
    const auto source = sample_bytes(p.source_layout);
    const auto cache = source ? checked_mul(*source, static_cast<std::uint64_t>(p.dataset_samples)) : std::nullopt;
    expect(cache && *cache == p.memory.cache_bytes, "the cache holds every sample of a synthetic source, unwrapped");
  }
  const auto host_pinned = checked_add(p.memory.host_bytes, p.memory.pinned_bytes);
  const auto total = host_pinned ? checked_add(*host_pinned, p.memory.device_bytes) : std::nullopt;
  expect(total.has_value(), "the planned memory's total fits in 64 bits");
  // Each part alone must not have wrapped either: a device buffer holds a whole batch and its labels.
  const auto labels = checked_mul(static_cast<std::uint64_t>(spec.batch_size), sizeof(std::int64_t));
  expect(labels && p.memory.device_bytes >= *labels && p.memory.device_bytes >= p.batch_bytes,
         "device bytes >= a batch's bytes and batch_size labels of 8 bytes, unwrapped");
  expect(spec.memory_budget == 0 || *total <= spec.memory_budget, "a plan that passed its memory_budget is within it");
}

}  // namespace

Outcome pipeline(std::span<const std::uint8_t> input) {
  const std::string_view all(reinterpret_cast<const char*>(input.data()), input.size());
  const std::size_t end = std::min(all.find('\0'), all.size());
  const std::string_view yaml = all.substr(0, end);
  std::vector<std::string> overrides;
  for (std::size_t at = end; at < all.size();) {
    const std::size_t next = std::min(all.find('\0', at + 1), all.size());
    overrides.emplace_back(all.substr(at + 1, next - at - 1));
    at = next;
  }
  return guarded([&] {
    const PipelineSpec spec = parse_pipeline(yaml, "<fuzz>", overrides);
    check_spec(spec);
    // The other sources open files that the input names; synthetic builds every stage from the text alone.
    if (spec.dataset.name == "synthetic") check_plan(spec, plan(spec));
  });
}

// --- record header -------------------------------------------------------------------------------------------

Outcome record_header(std::span<const std::uint8_t> input) {
  namespace rf = detail::records;
  const auto bytes = std::as_bytes(input);
  return guarded([&] {
    const rf::DecodedHeader d = rf::decode_file(bytes.first(std::min(bytes.size(), rf::kMaxHeaderBytes)), bytes.size());
    if (!d.error.empty()) throw Error(d.error);  // how the source reports it, less the file name
    const rf::RecordHeader& h = d.header;
    expect(h.layout.shape.size() <= rf::kMaxDims, "ndim <= 32");
    expect(std::all_of(h.layout.shape.begin(), h.layout.shape.end(), [](std::int64_t v) { return v >= 1; }),
           "every shape entry >= 1");
    expect(h.data_offset % rf::kDataAlignment == 0 && h.data_offset >= rf::kFixedHeaderBytes + 8 * h.layout.shape.size(),
           "the data offset is aligned and after the header");
    const auto sample = sample_bytes(h.layout);
    expect(sample && *sample == h.sample_bytes(), "sample_bytes() == prod(shape) * dtype size, without wrapping");
    const auto record = checked_add(*sample, h.labels ? rf::kLabelBytes : 0);
    expect(record && *record == h.record_bytes(), "record_bytes() == sample bytes + the label");
    const auto records = checked_mul(h.count, *record);
    const auto end = records ? checked_add(h.data_offset, *records) : std::nullopt;
    expect(end && *end == bytes.size(), "data offset + count * record bytes == the file's size, without wrapping");
    // What the writer would write for this header decodes to the same header.
    const std::vector<std::byte> again = rf::encode_header(h);
    const rf::DecodedHeader back = rf::decode_header(again);
    expect(back.error.empty() && back.header.layout == h.layout && back.header.count == h.count &&
               back.header.labels == h.labels && back.header.data_offset == h.data_offset,
           "encode_header(decoded) decodes to the same header");
  });
}

// --- npy header ----------------------------------------------------------------------------------------------

Outcome npy_header(std::span<const std::uint8_t> input) {
  namespace npy = detail::npy;
  const auto bytes = std::as_bytes(input);
  return guarded([&] {
    const npy::Header h = npy::parse_header(bytes, bytes.size(), "<fuzz>");
    expect(h.data_offset <= bytes.size(), "the header ends inside the file");
    expect(std::all_of(h.shape.begin(), h.shape.end(), [](std::int64_t v) { return v >= 0; }),
           "every shape entry >= 0");
    if (npy::dtype_of_descr(h.descr) && !h.fortran_order) {
      // What make-dataset would write for this header parses to the same header.
      const std::string again = npy::encode_header(h.descr, h.shape);
      const npy::Header back = npy::parse_header(std::as_bytes(std::span(again)), again.size(), "<again>");
      expect(back.descr == h.descr && back.shape == h.shape && !back.fortran_order &&
                 back.data_offset % npy::kAlignment == 0,
             "encode_header(parsed) parses to the same header");
    }
    const npy::SampleArray a = npy::sample_array(h, bytes.size(), "<fuzz>");
    expect(a.samples == h.shape.at(0) && a.layout.shape.size() + 1 == h.shape.size(),
           "axis 0 is the sample count, the rest a sample's shape");
    const auto sample = sample_bytes(a.layout);
    expect(sample && (*sample > 0 || a.samples == 0) && *sample == a.layout.bytes(),
           "a sample's bytes fit in 64 bits, are what layout.bytes() says, and are not 0 when there are samples");
    const auto data = checked_mul(*sample, static_cast<std::uint64_t>(a.samples));
    expect(data && *data == a.data_bytes, "data bytes == samples * sample bytes, without wrapping");
    const auto end = checked_add(a.data_offset, a.data_bytes);
    expect(end && *end == bytes.size(), "the header and the data fill the file exactly");
  });
}

// --- jpeg check ----------------------------------------------------------------------------------------------

/// The reference for decode_jpeg's end check, as plainly as it can be said: a 0xFF 0xD9 after the last 0xFF 0xDA.
bool ends_after_last_scan_reference(std::span<const std::uint8_t> p) {
  std::size_t last_scan = p.size();
  for (std::size_t i = 0; i + 1 < p.size(); ++i)
    if (p[i] == 0xFF && p[i + 1] == 0xDA) last_scan = i;
  if (last_scan == p.size()) return false;
  for (std::size_t i = last_scan + 2; i + 1 < p.size(); ++i)
    if (p[i] == 0xFF && p[i + 1] == 0xD9) return true;
  return false;
}

Outcome jpeg_check(std::span<const std::uint8_t> input) {
  static const std::unique_ptr<Transform> decode = detail::build_transform(
      StageSpec{"decode_jpeg", StageOptions::parse("", "<fuzz>")}, {SampleLayout{{kVaries}, DType::u8}, 1});
  const auto bytes = std::as_bytes(input);
  const SampleLayout actual{{static_cast<std::int64_t>(bytes.size())}, DType::u8};
  std::optional<SampleLayout> image;
  const Outcome outcome = guarded([&] { image = decode->inspect(SampleView{bytes, actual}); });
  // The marks for the device's decoders, a walk of the markers up to the first scan: any bytes, read within
  // them (the fuzz build's AddressSanitizer sees a read outside).
  (void)detail::jpeg_device_input(bytes);
  const bool ends = ends_after_last_scan_reference(input);
  if (!outcome.accepted) {
    const bool truncated = outcome.message.find("no end-of-image marker after its last scan") != std::string::npos;
    expect(!truncated || !ends, "a file refused as cut short has no end-of-image marker after its last scan");
    return outcome;
  }
  expect(image && image->shape.size() == 3 && image->dtype == DType::u8, "an accepted file has an HWC uint8 size");
  const std::int64_t h = image->shape[0], w = image->shape[1];
  expect(h >= 1 && w >= 1 && image->shape[2] == 3, "its height and width are at least 1, with 3 channels");
  expect(input.size() >= 4 && input[0] == 0xFF && input[1] == 0xD8, "an accepted file starts with its start-of-image");
  expect(ends, "an accepted file has an end-of-image marker after its last scan");
  // A small accepted image decodes on the host to its header's size, or is a DataError: never anything else.
  if (h * w <= (1 << 16)) {
    std::vector<std::byte> pixels(static_cast<std::size_t>(h * w * 3));
    struct Out final : SampleOut {
      std::vector<std::byte>& pixels;
      std::int64_t h, w;
      Out(std::vector<std::byte>& p, std::int64_t height, std::int64_t width) : pixels(p), h(height), w(width) {}
      std::span<std::byte> allocate(const SampleLayout& layout) override {
        expect(layout.shape == std::vector<std::int64_t>{h, w, 3}, "the decode allocates the header's size");
        return pixels;
      }
    } out(pixels, h, w);
    (void)guarded([&] { decode->apply(SampleView{bytes, actual}, out, SampleContext{}); });
  }
  return outcome;
}

Entry entry_named(std::string_view target) {
  if (target == "pipeline") return &pipeline;
  if (target == "record_header") return &record_header;
  if (target == "npy_header") return &npy_header;
  if (target == "jpeg_check") return &jpeg_check;
  return nullptr;
}

int run_or_abort(Entry entry, const std::uint8_t* data, std::size_t size) {
  try {
    entry({data, size});
  } catch (const ContractViolation& e) {
    std::fprintf(stderr, "feedgraph fuzz: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace feedgraph::fuzz
