# FEEDGRAPH_SANITIZE: build every C++ target of the project, tests and examples included, with gcc's
# sanitizers. The presets `asan` and `tsan` (CMakePresets.json) set it; scripts/sanitize.sh runs the tests.
#
#   ""                   no sanitizer (the default)
#   "address,undefined"  ASan + UBSan: leaks, out-of-bounds, use-after-free, undefined behaviour
#   "thread"             TSan: data races
#
# Applied directory-wide, not per target, so a target added later is instrumented too. Only C++ is
# instrumented: device code is checked with compute-sanitizer on a GPU machine instead.
set(FEEDGRAPH_SANITIZE "" CACHE STRING "Sanitizers for every C++ target: empty, address,undefined or thread")
set_property(CACHE FEEDGRAPH_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

# How much longer a test may take before ctest kills it (tests/CMakeLists.txt, examples/CMakeLists.txt).
# The timeouts are there to end a hung graph, not to time a healthy one: an instrumented build is slower
# (ASan about 2x, TSan 5-15x by the sanitizers' own figures), and on a shared 2-core machine a graph of
# 40000 one-sample batches takes 35 s under ASan alone, so the same limit would fail healthy tests.
set(FEEDGRAPH_TEST_TIMEOUT_SCALE 1)
if(FEEDGRAPH_SANITIZE STREQUAL "")
  return()
elseif(FEEDGRAPH_SANITIZE STREQUAL "thread")
  set(FEEDGRAPH_TEST_TIMEOUT_SCALE 10)
else()
  set(FEEDGRAPH_TEST_TIMEOUT_SCALE 4)
endif()
if(NOT FEEDGRAPH_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
  message(FATAL_ERROR "FEEDGRAPH_SANITIZE=${FEEDGRAPH_SANITIZE}: expected address,undefined or thread "
                      "(TSan cannot be combined with ASan)")
endif()
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(FATAL_ERROR "FEEDGRAPH_SANITIZE needs gcc or clang, not ${CMAKE_CXX_COMPILER_ID}")
endif()

# -fno-sanitize-recover=all: the first UBSan report ends the process with an error, so that a test fails
# instead of printing a line nobody reads. -fno-omit-frame-pointer: whole stack traces at -O1.
set(feedgraph_sanitize_flags -fsanitize=${FEEDGRAPH_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${feedgraph_sanitize_flags}>")
# The link line of every executable needs the runtime, and with a static libfeedgraph the executable is
# where it is linked.
add_link_options(-fsanitize=${FEEDGRAPH_SANITIZE})
message(STATUS "feedgraph: sanitizers: ${FEEDGRAPH_SANITIZE}")

# TSan needs every synchronization it is to see compiled with it, TBB's task pool included: against the
# system's uninstrumented libtbb each hand-off between nodes is reported as a race (3098 reports in the
# host tests). scripts/tbb-tsan.sh builds an instrumented oneTBB; the tsan preset finds it first.
if(FEEDGRAPH_SANITIZE STREQUAL "thread")
  get_target_property(feedgraph_tbb_configs TBB::tbb IMPORTED_CONFIGURATIONS)
  set(feedgraph_tbb_library "")
  foreach(config IN LISTS feedgraph_tbb_configs ITEMS "")
    if(config)
      get_target_property(location TBB::tbb IMPORTED_LOCATION_${config})
    else()
      get_target_property(location TBB::tbb IMPORTED_LOCATION)
    endif()
    if(location)
      set(feedgraph_tbb_library ${location})
      break()
    endif()
  endforeach()
  set(feedgraph_tbb_tsan "")
  if(EXISTS "${feedgraph_tbb_library}")
    file(STRINGS "${feedgraph_tbb_library}" feedgraph_tbb_tsan REGEX "__tsan_func_entry" LIMIT_COUNT 1)
  endif()
  if(NOT feedgraph_tbb_tsan)
    message(FATAL_ERROR "FEEDGRAPH_SANITIZE=thread needs a oneTBB built with -fsanitize=thread, and TBB::tbb is "
                        "${feedgraph_tbb_library}, which is not: its uninstrumented task pool would make every "
                        "hand-off between nodes a reported race. Run scripts/tbb-tsan.sh (the tsan preset looks "
                        "in build-tsan-tbb/prefix) or put an instrumented oneTBB on CMAKE_PREFIX_PATH.")
  endif()
  message(STATUS "feedgraph: TSan with the instrumented oneTBB ${feedgraph_tbb_library}")
endif()
