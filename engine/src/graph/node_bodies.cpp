// What each node of the flow graph does to a batch (the wiring is in graph_run.cpp). Every host node body
// runs inside guarded(), which times it, gives it a timeline lane, injects `faults:` and turns whatever it
// throws into the run's first error; copy and compute only enqueue, and finish in on_complete().
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "feedgraph/checksum.hpp"
#include "graph/graph_run_impl.hpp"
#include "graph/thread_count.hpp"
#include "report/cpu_clock.hpp"

// NVTX ranges named after the nodes, so that an nsys profile of a cuda run shows the graph's own names.
// Without a profiler attached, a push costs a few nanoseconds.
#if FEEDGRAPH_HAVE_CUDA
#include <nvtx3/nvToolsExt.h>
#define FG_RANGE_PUSH(name) nvtxRangePushA(name)
#define FG_RANGE_POP() nvtxRangePop()
#else
#define FG_RANGE_PUSH(name) ((void)(name))
#define FG_RANGE_POP() ((void)0)
#endif

namespace feedgraph::detail {

template <class Fn>
void GraphRun::guarded(Node node, Msg m, Fn&& fn) {
  auto& c = rec_.node(node);
  const double start = now();
  if (node != Node::read) c.wait_ns += ns(start - m->ready_at);
  enter(m, node, start);
  const int lane = c.lanes.acquire();
  graph_threads_.note();
  const double cpu_start = thread_cpu_seconds();
  FG_RANGE_PUSH(node_name(node));
  try {
    if (!failed_.load()) {
      faults_.strike(node_name(node), m->ticket, failed_);
      fn();
    }
  } catch (...) {
    fail(node, m, std::current_exception());
  }
  FG_RANGE_POP();
  c.cpu_ns += ns(thread_cpu_seconds() - cpu_start);
  c.lanes.release(lane);
  const double end = now();
  c.busy_ns += ns(end - start);
  c.batches++;
  m->ready_at = end;
  left(m, node, end);
  auto& t = rec_.ticket(m->ticket);
  if (node == Node::read) (t.read_end = end, t.read_lane = lane);
  if (node == Node::transform) (t.transform_begin = start, t.transform_end = end, t.transform_lane = lane);
  if (node == Node::pin) (t.pin_begin = start, t.pin_end = end, t.pin_lane = lane);
  touch();
}

template <class Fn>
void GraphRun::read_samples(Msg m, const RunOrder::Batch& where, Fn&& read_one) {
  std::int64_t k = 0;  // where the next good sample goes: skipped samples leave no hole
  for (std::int64_t j = 0; j < where.count; ++j) {
    const std::int64_t id = order_.id(where, j);
    current_sample_ = id;
    try {
      if (faults_.vanished(m->ticket)) throw DataError(a_.source->where(id), "No such file or directory [injected: faults: vanish]");
      read_one(id, k);
    } catch (const DataError& e) {
      if (bad_.skip(m->ticket, id, e)) continue;
      throw bad_.located(id, e);
    }
    m->sample_ids.push_back(id);
    m->labels.push_back(source_->label(id));
    ++k;
  }
  m->samples = k;
}

Msg GraphRun::read(std::int64_t ticket, Token host_buffer) {
  const double start = now();
  rec_.host_buffers().take(start);
  Msg m = pool_.acquire();
  if (!m) {
    // Impossible while every in-flight batch holds a token (see done()); a null would crash a sequencer
    // later with no message, so stop here with one.
    std::fprintf(stderr, "feedgraph: internal error: the batch-state pool is exhausted at ticket %lld\n",
                 static_cast<long long>(ticket));
    std::abort();
  }
  m->ticket = ticket;
  const RunOrder::Batch where = order_.at(ticket);
  m->epoch = where.epoch;
  m->index = where.index;
  m->host_buffer = host_buffer;
  m->host_data = host_buffer_data(host_buffer);
  m->pinned_slot = m->device_slot = -1;
  m->host_checksum = 0;
  m->samples = 0;
  m->sample_ids.clear();
  m->labels.clear();
  m->encoded.clear();
  m->ragged_bytes = 0;
  m->ready_at = start;
  const std::int64_t first = where.first;
  const std::int64_t count = where.count;
  guarded(Node::read, m, [&] {
    if (shape_.from_cache) {
      cache_.serve(*m, first, count, spec_.verify);
      return;
    }
    if (plan_.ragged) {
      read_encoded(m, where, host_buffer_data(host_buffer));
      return;
    }
    const std::size_t sample_bytes = plan_.transfer_layout.bytes();
    std::byte* base = host_buffer_data(host_buffer);
    // With no transforms the bytes read are the bytes sent: checksum each sample while it is still in
    // cache, instead of reading the whole batch back from memory in the transform node.
    const bool checksum_here = spec_.verify && a_.chain.empty();
    const bool direct = a_.chain.direct();
    read_samples(m, where, [&](std::int64_t id, std::int64_t k) {
      if (direct) {
        const std::span<std::byte> slot{base + static_cast<std::size_t>(k) * sample_bytes, sample_bytes};
        BatchSlotOut out(slot, plan_.transfer_layout);
        source_->read(id, out);
        if (!out.used()) throw Error("the source wrote nothing for sample " + std::to_string(id));
        if (checksum_here) m->host_checksum += sample_checksum(slot, k);
      } else {
        source_->read(id, buffers_.staged(host_buffer, k));
      }
    });
  });
  rec_.ticket(ticket).read_begin = start;
  return m;
}

namespace {

/// Where the source writes one file of a ragged batch: the rest of the batch's buffer, from an 8-byte boundary.
class EncodedOut final : public SampleOut {
 public:
  EncodedOut(std::byte* at, std::uint64_t room) : at_(at), room_(room) {}
  std::span<std::byte> allocate(const SampleLayout& layout) override {
    if (layout.shape.size() != 1 || layout.dtype != DType::u8 || !layout.fixed())
      throw Error("decode_jpeg on the device takes encoded files (one uint8 byte string a sample); the source wrote " +
                  layout.describe());
    const auto bytes = static_cast<std::uint64_t>(layout.shape[0]);
    if (bytes > room_)
      throw DataError("", "the file is " + std::to_string(bytes) + " bytes, more than the " + std::to_string(room_) +
                              " left in the batch's buffer, which holds the dataset's largest files as listed: the "
                              "file grew since");
    bytes_ = bytes;
    return {at_, static_cast<std::size_t>(bytes)};
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::byte* at_;
  std::uint64_t room_;
  std::uint64_t bytes_ = 0;
};

}  // namespace

void GraphRun::read_encoded(Msg m, const RunOrder::Batch& where, std::byte* base) {
  const DeviceDecode& decode = *a_.device_transform.decode;
  const std::uint64_t capacity = plan_.batch_bytes;
  std::uint64_t offset = 0;
  read_samples(m, where, [&](std::int64_t id, std::int64_t) {
    EncodedOut out(base + offset, offset < capacity ? capacity - offset : 0);
    source_->read(id, out);
    const std::span<const std::byte> file{base + offset, static_cast<std::size_t>(out.bytes())};
    const SampleLayout encoded{{static_cast<std::int64_t>(file.size())}, DType::u8};
    // Checked here, on the host, where a bad file can still be skipped: not a JPEG, cut short, too large.
    const std::optional<SampleLayout> image = decode.decoder->inspect(SampleView{file, encoded});
    if (!image) throw Error("decode_jpeg cannot check a file before it crosses the link");
    EncodedSample e{offset, file.size(), image->shape[0], image->shape[1], {}};
    e.map = compose_pixel_map(decode, e.height, e.width, SampleContext{id, m->epoch, spec_.seed});
    mark_device_input(e, file);
    if (spec_.verify) m->host_checksum += words_checksum(file, offset / 8);
    m->encoded.push_back(e);
    offset = next_encoded_offset(offset, file.size());
  });
  m->ragged_bytes = m->encoded.empty() ? 0 : m->encoded.back().offset + m->encoded.back().bytes;
}

Msg GraphRun::transform(Msg m) {
  if (!m) return m;
  guarded(Node::transform, m, [&] {
    if (a_.chain.empty()) return;  // read wrote the batch and took its checksum
    const std::size_t sample_bytes = plan_.transfer_layout.bytes();
    std::byte* base = host_buffer_data(m->host_buffer);
    const bool direct = a_.chain.direct();
    std::int64_t k = 0;
    for (std::int64_t j = 0; j < m->samples; ++j) {
      const std::int64_t id = m->sample_ids[static_cast<std::size_t>(j)];
      current_sample_ = id;
      const std::span<std::byte> slot{base + static_cast<std::size_t>(k) * sample_bytes, sample_bytes};
      const SampleContext ctx{id, m->epoch, spec_.seed};
      try {
        if (direct) {
          // In place where read left it; moved down over any sample skipped before it.
          if (k != j) std::memmove(slot.data(), base + static_cast<std::size_t>(j) * sample_bytes, sample_bytes);
          a_.chain.run(slot, plan_.source_layout, slot, ctx);
        } else {
          SampleBuffer& staged = buffers_.staged(m->host_buffer, j);
          a_.chain.run(staged.bytes(), staged.layout(), slot, ctx);
        }
      } catch (const DataError& e) {
        if (bad_.skip(m->ticket, id, e)) continue;
        throw bad_.located(id, e);
      }
      // The host's checksum of exactly the bytes that will cross the link.
      if (spec_.verify) m->host_checksum += sample_checksum(slot, k);
      m->sample_ids[static_cast<std::size_t>(k)] = id;
      m->labels[static_cast<std::size_t>(k)] = m->labels[static_cast<std::size_t>(j)];
      ++k;
    }
    m->samples = k;
    m->sample_ids.resize(static_cast<std::size_t>(k));
    m->labels.resize(static_cast<std::size_t>(k));
  });
  return m;
}

Msg GraphRun::pin(Msg m, Token slot) {
  if (!m) return m;
  rec_.pinned_slots().take(now());
  m->pinned_slot = slot;
  guarded(Node::pin, m, [&] {
    const std::byte* src = m->host_data;
    std::byte* dst = buffers_.pinned(static_cast<int>(slot));
    const std::size_t bytes = batch_bytes(m);
    // Large batches are copied by several threads (pin_chunks, which threads: auto counts too). Isolated, so a
    // waiting thread takes no unrelated task.
    const std::size_t chunks = pin_chunks(bytes);
    if (chunks == 1) {
      std::memcpy(dst, src, bytes);
    } else {
      tbb::this_task_arena::isolate([&] {
        tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
          const std::size_t off = c * kPinChunk;
          std::memcpy(dst + off, src + off, std::min(kPinChunk, bytes - off));
        });
      });
    }
  });
  release_host_buffer(m);
  return m;
}

void GraphRun::copy(Msg m, Token slot, CopyNode::gateway_type& gw) {
  if (!m || failed_.load()) return;
  rec_.device_buffers().take(now());
  m->device_slot = slot;
  in_slot_[static_cast<std::size_t>(slot)] = m;
  const double start = now();
  rec_.node(Node::copy).wait_ns += ns(start - m->ready_at);
  enter(m, Node::copy, start);
  gw.reserve_wait();
  try {
    faults_.strike("copy", m->ticket, failed_);
    const std::byte* src = pin_node_ ? buffers_.pinned(m->pinned_slot) : m->host_data;
    FG_RANGE_PUSH("copy");
    backend_->copy(slot, src, batch_bytes(m), {m->labels.data(), m->labels.size()},
                   {m->encoded.data(), m->encoded.size()}, CopyMode{!settings_.transfer.non_blocking, settings_.transfer.copy_stream});
    FG_RANGE_POP();
  } catch (...) {
    fail(Node::copy, m, std::current_exception());
    gw.release_wait();
  }
}

Msg GraphRun::copied(Msg m) {
  rec_.node(Node::copy).batches++;
  if (pin_node_) {
    rec_.pinned_slots().give(now());
    slot_pool_->try_put(m->pinned_slot);
  } else {
    release_host_buffer(m);
  }
  m->ready_at = now();
  left(m, Node::copy, m->ready_at);
  return m;
}

void GraphRun::compute(Msg m, ComputeNode::gateway_type& gw) {
  if (failed_.load()) return;
  const double start = now();
  rec_.node(Node::compute).wait_ns += ns(start - m->ready_at);
  enter(m, Node::compute, start);
  gw.reserve_wait();
  try {
    faults_.strike("compute", m->ticket, failed_);
    const std::int64_t slot = m->device_slot;
    if (const auto f = faults_.on_device(m->ticket); f.any()) backend_->inject_fault(static_cast<int>(slot), f.trap, f.delay_s);
    FG_RANGE_PUSH("compute");
    DeviceBatchView view = batch_view(m, backend_->slot_memory(static_cast<int>(slot)), plan_.transfer_layout);
    if (plan_.ragged) view.bytes = m->ragged_bytes;
    backend_->compute(static_cast<int>(slot), *stage_, view, &a_.device_transform, spec_.verify);
    FG_RANGE_POP();
  } catch (const DeviceDecodeError& e) {
    // The device's decoder refused a file the host's check passed: the error names the file. The batch has
    // crossed already, so this fails the run under either on_error.
    const std::int64_t id = e.index() < m->sample_ids.size() ? m->sample_ids[e.index()] : -1;
    fail(Node::compute, m, std::make_exception_ptr(bad_.located(id, DataError("", std::string(e.what()) + " (sample " +
                                                                                    std::to_string(id) + ")"))));
    gw.release_wait();
  } catch (...) {
    fail(Node::compute, m, std::current_exception());
    gw.release_wait();
  }
}

void GraphRun::done(Msg m) {
  if (failed_.load()) return;
  const int slot = m->device_slot;
  const SlotTimes st = backend_->times(slot);
  auto& t = rec_.ticket(m->ticket);
  t.copy_begin = st.copy_begin;
  t.copy_end = st.copy_end;
  t.compute_begin = st.compute_begin;
  t.compute_end = st.compute_end;
  t.done = now();
  t.samples = m->samples;
  t.bytes = batch_bytes(m);
  rec_.node(Node::compute).batches++;
  const std::uint64_t device_sum = backend_->checksum(slot);
  if (spec_.verify && device_sum != m->host_checksum) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "verify: the device checksum 0x%016llx differs from the host's 0x%016llx: the bytes that "
                  "crossed the link are not the bytes sent",
                  static_cast<unsigned long long>(device_sum), static_cast<unsigned long long>(m->host_checksum));
    fail(Node::compute, m, std::make_exception_ptr(std::runtime_error(text)));
    return;
  }
  // Consumed before on_batch hears of it, so that a state saved from on_batch counts this batch.
  if (!pull_) consumed(m->ticket);
  if (options_.on_batch) {
    try {
      options_.on_batch(
          BatchRecord{m->ticket, m->epoch, m->index, m->sample_ids, m->labels, m->host_checksum, device_sum});
    } catch (...) {
      fail(Node::compute, m, std::current_exception());
      return;
    }
  }
  samples_done_ += m->samples;
  if (pull_) {
    deliver(m, slot);  // consumed once the consumer takes it
    return;
  }
  // The batch state goes back before the device buffer does: every state in use is then held by a batch
  // that holds a token, so the pool (prefetch + slots + buffers) can never run dry.
  in_slot_[static_cast<std::size_t>(slot)] = nullptr;
  pool_.release(m);
  rec_.device_buffers().give(now());
  device_pool_->try_put(slot);
  ++done_count_;
  touch();
}

void GraphRun::deliver(Msg m, int slot) {
  // What the compute stage would have seen: after an active device transform, its output.
  const bool transformed = a_.device_transform.active();
  const DeviceBatchView view =
      batch_view(m, transformed ? backend_->slot_transformed(slot) : backend_->slot_memory(slot), plan_.layout);
  pull_->stage(slot, view);  // copies the ids and labels
  // Everything of this batch goes back before the consumer can see it: the moment it does, it may release
  // the slot, and a new batch may take the slot and a batch state.
  in_slot_[static_cast<std::size_t>(slot)] = nullptr;
  pool_.release(m);
  const bool last = ++done_count_ == plan_.batches;
  // The graph stays open while the consumer holds the batch: it must not finish under a batch still out.
  graph_->reserve_wait();
  if (!pull_->publish(slot)) give_back_slot(slot);  // stopped or failed meanwhile
  if (last) pull_->finish();
  touch();
}

DeviceBatchView GraphRun::batch_view(Msg m, std::byte* data, const SampleLayout& layout) {
  DeviceBatchView v;
  v.data = data;
  v.bytes = static_cast<std::size_t>(m->samples) * layout.bytes();
  v.samples = m->samples;
  v.layout = layout;
  v.labels = backend_->slot_labels(m->device_slot);
  v.host_labels = m->labels;
  v.sample_ids = m->sample_ids;
  v.epoch = m->epoch;
  v.index = m->index;
  v.ticket = m->ticket;
  return v;
}

void GraphRun::give_back_slot(int slot) {
  rec_.device_buffers().give(now());
  device_pool_->try_put(slot);
  graph_->release_wait();
}


void GraphRun::fail(Node node, Msg m, std::exception_ptr e) {
  std::exception_ptr wrapped;
  try {
    std::rethrow_exception(e);
  } catch (const CudaError&) {
    wrapped = e;  // its call, code and name are the useful part
  } catch (const StallError&) {
    wrapped = e;
  } catch (const StageError&) {
    wrapped = e;
  } catch (const std::exception& ex) {
    const std::int64_t sample = (node == Node::read || node == Node::transform) ? current_sample_ : -1;
    wrapped = std::make_exception_ptr(StageError(node_name(node), m ? m->ticket : -1, sample, ex.what()));
  } catch (...) {
    wrapped = std::make_exception_ptr(StageError(node_name(node), m ? m->ticket : -1, -1, "unknown exception"));
  }
  record(wrapped);
}

void GraphRun::fail_status(Op op, Msg m, int status, const char* message) noexcept {
  try {
    if (backend_->kind() == BackendKind::host) {
      fail(op == Op::copy ? Node::copy : Node::compute, m,
           std::make_exception_ptr(std::runtime_error(message ? message : "host stand-in error")));
      return;
    }
    const std::string what = std::string(op == Op::copy ? "copy" : "compute") + " of batch " +
                             std::to_string(m ? m->ticket : -1) + " (stream callback status)";
    record(std::make_exception_ptr(
               CudaError(what, status, backend_->status_name(status), backend_->status_text(status))),
           op == Op::compute);
  } catch (...) {
    record(std::current_exception());
  }
}

void GraphRun::record(std::exception_ptr e, bool compute_fault) noexcept {
  FirstError::Kept kept;
  {
    std::lock_guard lock(error_mutex_);
    kept = error_.offer(e, compute_fault);
  }
  failed_.store(true);
  // Wakes a consumer waiting for a batch, which then throws the run's error. Only a replacement overwrites
  // the channel's: a report of the first error arriving after it must not.
  if (pull_) pull_->fail(kept.error, kept.replaced);
}

}  // namespace feedgraph::detail
