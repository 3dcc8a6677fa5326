// The stage registry: name → factory, filled with the built-in stages on first use and extended by
// register_source/register_transform/register_compute.
#include "stages/registry.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "feedgraph/errors.hpp"

namespace feedgraph {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, SourceFactory> sources;
  std::map<std::string, TransformFactory> transforms;
  std::map<std::string, ComputeFactory> computes;
};

// Set while the built-ins register, so that they never replace a stage the program registered first.
thread_local bool registering_builtins = false;

Registry& table() {
  static Registry r;
  return r;
}

/// The table with the built-ins in it. They are registered by an explicit call on first use, not by
/// static initializers, which the linker drops from a static library.
Registry& registry() {
  static std::once_flag builtins;
  std::call_once(builtins, [] {
    registering_builtins = true;
    register_builtin_stages();
    registering_builtins = false;
  });
  return table();
}

template <class Map, class Factory>
void add(Map& map, const std::string& name, Factory factory) {
  std::lock_guard lock(table().mutex);
  if (registering_builtins)
    map.emplace(name, std::move(factory));
  else
    map[name] = std::move(factory);
}

template <class Map>
std::vector<std::string> names_of(Map& map) {
  std::lock_guard lock(table().mutex);
  std::vector<std::string> out;
  for (const auto& [name, _] : map) out.push_back(name);
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

template <class Map>
auto find_factory(Map& map, const StageSpec& spec, const char* what) {
  std::unique_lock lock(table().mutex);
  auto it = map.find(spec.name);
  if (it == map.end()) {
    lock.unlock();
    spec.options.fail("", std::string("unknown ") + what + " '" + spec.name + "' (known: " + joined(names_of(map)) + ")");
  }
  return it->second;
}

template <class Stage, class Map>
std::unique_ptr<Stage> build(Map& map, const StageSpec& spec, const StageContext& ctx, const char* what) {
  auto factory = find_factory(map, spec, what);
  auto stage = factory(spec.options, ctx);
  if (!stage) spec.options.fail("", std::string(what) + " '" + spec.name + "': its factory returned nothing");
  spec.options.reject_unknown();
  return stage;
}

}  // namespace

void register_source(const std::string& name, SourceFactory factory) { add(table().sources, name, std::move(factory)); }
void register_transform(const std::string& name, TransformFactory factory) {
  add(table().transforms, name, std::move(factory));
}
void register_compute(const std::string& name, ComputeFactory factory) {
  add(table().computes, name, std::move(factory));
}

std::vector<std::string> source_names() { return names_of(registry().sources); }
std::vector<std::string> transform_names() { return names_of(registry().transforms); }
std::vector<std::string> compute_names() { return names_of(registry().computes); }

namespace detail {
std::unique_ptr<Source> build_source(const StageSpec& spec, const StageContext& ctx) {
  return build<Source>(registry().sources, spec, ctx, "source");
}
std::unique_ptr<Transform> build_transform(const StageSpec& spec, const StageContext& ctx) {
  return build<Transform>(registry().transforms, spec, ctx, "transform");
}
std::unique_ptr<ComputeStage> build_compute(const StageSpec& spec, const StageContext& ctx) {
  return build<ComputeStage>(registry().computes, spec, ctx, "compute kernel");
}
}  // namespace detail

}  // namespace feedgraph
