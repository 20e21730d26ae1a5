# driftless_add_external_plugin(NAME my-renderer SOURCES my_renderer.cpp)
# Builds lib driftless-<NAME>.so, ready to drop into a plugin directory, with the
# SDK contract (the shared library) and the toolkit (only what the plugin uses is
# linked in, and kept private to it).
function(driftless_add_external_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBRARIES" ${ARGN})
  set(target driftless_plugin_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_link_libraries(${target} PRIVATE driftless::sdk driftless::toolkit ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME driftless-${ARG_NAME}
    PREFIX lib
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
