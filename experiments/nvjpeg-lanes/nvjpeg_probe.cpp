// Experiment (not part of the build): where nvJPEG's batched decode of small files spends its time on this GPU.
// Usage: nvjpeg_probe DIR [seconds]   (probe.sh builds and runs it)
// It links nvJPEG and cudart alone, so it checks files itself rather than with the engine's
// jpeg_device_input(): baseline, no restart interval (every backend here takes those), at most 640x480.
#include <cuda_runtime.h>
#include <nvjpeg.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { std::fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_)); std::exit(2); } } while (0)
#define NK(x) do { nvjpegStatus_t s_ = (x); if (s_ != NVJPEG_STATUS_SUCCESS) { std::fprintf(stderr, "%s: %d\n", #x, (int)s_); std::exit(3); } } while (0)

struct File { std::size_t offset, bytes; int w, h; };
static std::vector<unsigned char> packed;
static std::vector<File> files;
static unsigned char* dev_files = nullptr;
static double seconds_per_config = 1.0;

static bool baseline_no_restart(const unsigned char* p, std::size_t n, int& w, int& h) {
  bool sof0 = false;
  for (std::size_t i = 2; i + 4 < n;) {
    if (p[i] != 0xFF) return false;
    unsigned m = p[i + 1];
    std::size_t len = (p[i + 2] << 8) | p[i + 3];
    if (m == 0xC0 || m == 0xC1) { sof0 = true; h = (p[i + 5] << 8) | p[i + 6]; w = (p[i + 7] << 8) | p[i + 8]; }
    else if (m >= 0xC2 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return false;
    if (m == 0xDD && ((p[i + 4] << 8) | p[i + 5]) != 0) return false;
    if (m == 0xDA) return sof0;
    i += 2 + len;
  }
  return false;
}

static double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + 1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

struct Worker {
  nvjpegHandle_t handle;
  nvjpegJpegState_t state;
  cudaStream_t stream;
  unsigned char* scratch;
  std::vector<const unsigned char*> data;
  std::vector<std::size_t> lengths;
  std::vector<nvjpegImage_t> out;
  int batch, initialized = 0;
  bool from_host;
  std::size_t next = 0;
  std::vector<std::size_t> mine;  // indices into files
  double call_seconds = 0;

  Worker(nvjpegHandle_t h, int b, bool host, std::vector<std::size_t> subset) : handle(h), batch(b), from_host(host), mine(std::move(subset)) {
    NK(nvjpegJpegStateCreate(handle, &state));
    CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    CK(cudaMalloc(&scratch, static_cast<std::size_t>(b) * 640 * 480 * 3));
  }
  ~Worker() { nvjpegJpegStateDestroy(state); cudaStreamDestroy(stream); cudaFree(scratch); }
  // One batch: returns images decoded.
  int step() {
    data.clear(); lengths.clear(); out.clear();
    unsigned char* p = scratch;
    for (int k = 0; k < batch; ++k) {
      const File& f = files[mine[next]];
      next = (next + 1) % mine.size();
      data.push_back((from_host ? packed.data() : dev_files) + f.offset);
      lengths.push_back(f.bytes);
      nvjpegImage_t o{};
      o.channel[0] = p; o.pitch[0] = static_cast<std::size_t>(f.w) * 3;
      p += static_cast<std::size_t>(f.w) * f.h * 3;
      out.push_back(o);
    }
    if (initialized != batch) { NK(nvjpegDecodeBatchedInitialize(handle, state, batch, 1, NVJPEG_OUTPUT_RGBI)); initialized = batch; }
    auto t0 = std::chrono::steady_clock::now();
    NK(nvjpegDecodeBatched(handle, state, data.data(), lengths.data(), out.data(), stream));
    call_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CK(cudaStreamSynchronize(stream));
    return batch;
  }
};

struct Spec { const char* label; nvjpegBackend_t backend; unsigned flags; int threads; bool host; };

// Runs each group of workers on its own threads at once for seconds_per_config; prints each group's rate.
static void run(const std::string& title, const std::vector<Spec>& specs, int batch, const std::vector<double>& weights) {
  // split files among groups by weight, and within a group among its threads
  std::vector<std::vector<std::unique_ptr<Worker>>> groups;
  std::vector<nvjpegHandle_t> handles;
  double total_w = 0; for (double w : weights) total_w += w;
  std::size_t at = 0;
  for (std::size_t g = 0; g < specs.size(); ++g) {
    nvjpegHandle_t h;
    NK(nvjpegCreateEx(specs[g].backend, nullptr, nullptr, specs[g].flags, &h));
    handles.push_back(h);
    std::size_t count = g + 1 == specs.size() ? files.size() - at : static_cast<std::size_t>(files.size() * weights[g] / total_w);
    std::vector<std::vector<std::size_t>> per(specs[g].threads);
    for (std::size_t i = 0; i < count; ++i) per[i % specs[g].threads].push_back(at + i);
    at += count;
    groups.emplace_back();
    for (int t = 0; t < specs[g].threads; ++t) groups.back().push_back(std::make_unique<Worker>(h, batch, specs[g].host, per[t]));
  }
  // warm
  for (auto& g : groups) for (auto& w : g) { w->step(); w->step(); w->call_seconds = 0; }
  std::atomic<bool> stop{false};
  std::vector<std::vector<long>> counts(groups.size());
  std::vector<std::thread> threads;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    counts[g].assign(groups[g].size(), 0);
    for (std::size_t t = 0; t < groups[g].size(); ++t)
      threads.emplace_back([&, g, t] { while (!stop.load()) counts[g][t] += groups[g][t]->step(); });
  }
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds_per_config));
  stop = true;
  for (auto& th : threads) th.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cores = (cpu_seconds() - c0) / wall;
  double total = 0;
  std::string parts;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    long n = 0; double call = 0;
    for (std::size_t t = 0; t < groups[g].size(); ++t) { n += counts[g][t]; call += groups[g][t]->call_seconds; }
    total += n / wall;
    char buf[200];
    std::snprintf(buf, sizeof buf, "  %s x%d: %.0f/s (call %.1f us/img)", specs[g].label, specs[g].threads, n / wall, n ? 1e6 * call / n : 0.0);
    parts += buf;
  }
  std::printf("%-28s batch %3d: %7.0f img/s  %.2f cores |%s\n", title.c_str(), batch, total, cores, parts.c_str());
  std::fflush(stdout);
  groups.clear();
  for (auto h : handles) nvjpegDestroy(h);
}

int main(int argc, char** argv) {
  if (argc < 2) return 1;
  if (argc > 2) seconds_per_config = std::atof(argv[2]);
  CK(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(argv[1]))
    if (e.is_regular_file() && e.path().extension() == ".jpg") names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::size_t skipped = 0;
  for (const auto& n : names) {
    std::ifstream in(n, std::ios::binary);
    std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), {});
    int w = 0, h = 0;
    if (!baseline_no_restart(b.data(), b.size(), w, h) || w > 640 || h > 480) { ++skipped; continue; }
    files.push_back({packed.size(), b.size(), w, h});
    packed.insert(packed.end(), b.begin(), b.end());
    packed.resize((packed.size() + 255) / 256 * 256);
  }
  if (files.size() < 2048) { std::printf("too few files: %zu\n", files.size()); return 1; }
  std::printf("%s: %zu files (%zu skipped), %.1f KB mean\n", argv[1], files.size(), skipped, packed.size() / 1024.0 / files.size());
  CK(cudaMalloc(&dev_files, packed.size()));
  CK(cudaMemcpy(dev_files, packed.data(), packed.size(), cudaMemcpyHostToDevice));
  const unsigned NP = NVJPEG_FLAGS_HW_DECODE_NO_PIPELINE;
  const Spec hw{"hw", NVJPEG_BACKEND_HARDWARE_DEVICE, NP, 1, false};
  const Spec hwp{"hw-pipelined", NVJPEG_BACKEND_HARDWARE_DEVICE, NVJPEG_FLAGS_DEFAULT, 1, false};
  const Spec sms{"sms", NVJPEG_BACKEND_GPU_HYBRID_DEVICE, NVJPEG_FLAGS_DEFAULT, 1, false};
  const Spec gpuh{"gpu-hybrid-host", NVJPEG_BACKEND_GPU_HYBRID, NVJPEG_FLAGS_DEFAULT, 1, true};
  const Spec hyb{"hybrid-host", NVJPEG_BACKEND_HYBRID, NVJPEG_FLAGS_DEFAULT, 1, true};
  auto with = [](Spec s, int t) { s.threads = t; return s; };
  for (int b : {64, 128, 256, 512}) run("hw", {hw}, b, {1});
  run("hw pipelined", {hwp}, 256, {1});
  for (int t : {2, 3, 4}) for (int b : {128, 256}) run("hw threads", {with(hw, t)}, b, {1});
  for (int t : {1, 2, 3}) for (int b : {128, 256}) run("sms", {with(sms, t)}, b, {1});
  run("gpu-hybrid (host input)", {gpuh}, 256, {1});
  for (int t : {1, 2}) run("hybrid (host input)", {with(hyb, t)}, 256, {1});
  for (double w : {0.5, 0.6, 0.7}) {
    run("hw x2 + sms x1 w=" + std::to_string(w).substr(0, 3), {with(hw, 2), sms}, 128, {w, 1 - w});
    run("hw x1 + sms x1 w=" + std::to_string(w).substr(0, 3), {hw, sms}, 256, {w, 1 - w});
    run("hw x2 + sms x2 w=" + std::to_string(w).substr(0, 3), {with(hw, 2), with(sms, 2)}, 128, {w, 1 - w});
  }
  return 0;
}
