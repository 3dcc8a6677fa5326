# The ctest `package_consumer` (tests/CMakeLists.txt), run with `cmake -P`: install the feedgraph build into a
# fresh prefix, check the package names no build or source folder, then configure, build and run
# tests/consumer against it. Any failing step fails the test with that step's output.
#
# -D variables: FEEDGRAPH_BUILD_DIR, FEEDGRAPH_SOURCE_DIR, CONSUMER_SOURCE_DIR, GENERATOR, MAKE_PROGRAM,
#               CXX_COMPILER, CONFIG (may be empty), PREFIX_PATH (the outer CMAKE_PREFIX_PATH, may be empty),
#               CUDA_ROOT (set when feedgraph was built with CUDA)
cmake_minimum_required(VERSION 3.25)

set(prefix ${FEEDGRAPH_BUILD_DIR}/consumer-prefix)
set(build ${FEEDGRAPH_BUILD_DIR}/consumer-build)
file(REMOVE_RECURSE ${prefix} ${build})

macro(check step)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package_consumer: ${step} failed (${rc}):\n${out}")
  endif()
  message(STATUS "package_consumer: ${step}: ok")
endmacro()

set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()

execute_process(COMMAND ${CMAKE_COMMAND} --install ${FEEDGRAPH_BUILD_DIR} --prefix ${prefix} ${config_args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
check("cmake --install ${FEEDGRAPH_BUILD_DIR} --prefix ${prefix}")

# The installed package must be relocatable: no path of the build or source tree in it.
file(GLOB package_files ${prefix}/lib*/cmake/feedgraph/*.cmake ${prefix}/lib/*/cmake/feedgraph/*.cmake)
if(NOT package_files)
  message(FATAL_ERROR "package_consumer: no lib/cmake/feedgraph/*.cmake under ${prefix}")
endif()
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  foreach(tree IN ITEMS ${FEEDGRAPH_BUILD_DIR} ${FEEDGRAPH_SOURCE_DIR})
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "package_consumer: ${file} names ${tree}")
    endif()
  endforeach()
endforeach()

list(PREPEND PREFIX_PATH ${prefix})
set(configure_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONFIG})
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CUDA_ROOT)
  list(APPEND configure_args -DCUDAToolkit_ROOT=${CUDA_ROOT})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${build} ${configure_args}
                        "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
check("configure tests/consumer")
file(STRINGS ${build}/CMakeCache.txt found REGEX "^feedgraph_DIR:")
string(FIND "${found}" "=${prefix}/" at)
if(at EQUAL -1)
  message(FATAL_ERROR "package_consumer: find_package(feedgraph) took another package: ${found}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} ${config_args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
check("build tests/consumer")

set(consumer ${build}/consumer)
if(CONFIG AND EXISTS ${build}/${CONFIG}/consumer)  # a multi-config generator
  set(consumer ${build}/${CONFIG}/consumer)
endif()
execute_process(COMMAND ${consumer} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
check("run tests/consumer")
message(STATUS "${out}")
