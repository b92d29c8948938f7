# Shared build settings for every target of the project, and the one helper
# that creates a component library (caf_cluster::<name>) from an explicit
# source list, with its folder as the include root.

# Warnings apply to our code only; CAF, Boost and SQLiteCpp live in system
# include directories and stay quiet.
function(caf_cluster_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(CAF_CLUSTER_SANITIZE)
    # UBSan's null check fires inside CAF's own init_fun_factory header for
    # every function-based spawn (see shared notes), hence -fno-sanitize=null.
    # Every other finding is fatal, so a test run cannot pass over one.
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-sanitize=null
      -fno-sanitize-recover=all -fno-omit-frame-pointer
      # GCC 12 at -O0 with ASan misreads CAF's variant (cfg.set) as
      # maybe-uninitialized; the optimized build stays warning-free.
      -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    # A position-independent executable with the sanitizers carries millions
    # of relative relocations (UBSan's check descriptors at -O0) that the
    # loader applies on every start: 0.8 s per start of a test executable,
    # paid once per test case. Linked at a fixed address it starts in 0.5 s.
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_options(${target} PRIVATE -no-pie)
    endif()
  endif()
endfunction()

# caf_cluster_add_component(<name> ROOT <include root> SOURCES ... DEPS ...)
function(caf_cluster_add_component name)
  cmake_parse_arguments(arg "" "ROOT" "SOURCES;DEPS" ${ARGN})
  set(target caf_cluster_${name})
  add_library(${target} STATIC ${arg_SOURCES})
  add_library(caf_cluster::${name} ALIAS ${target})
  # The install rules (cmake/caf_cluster_install.cmake) add the installed
  # include folder; the source folder is for builds of this tree only.
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${arg_ROOT}>)
  # Users' code includes our headers: it must be C++17 too.
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_link_libraries(${target} PUBLIC ${arg_DEPS})
  caf_cluster_target_defaults(${target})
endfunction()
