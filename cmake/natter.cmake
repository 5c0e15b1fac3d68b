# natter_module(<name> SOURCES ... DEPS ...): one static library per module, target natter_<name>.
function(natter_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(natter_${name} STATIC ${M_SOURCES})
  target_include_directories(natter_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(natter_${name} PUBLIC ${M_DEPS} PRIVATE natter_warnings)
endfunction()

# natter_gtest(<name> SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(natter_gtest name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main natter_warnings)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endfunction()
