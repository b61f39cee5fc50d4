# SPDX-License-Identifier: MIT
# servermesh: the portal daemon (portal/). Included from cli/CMakeLists.txt.
if(TARGET mesh-portal)
	add_executable(servermesh servermesh.c)
	target_link_libraries(servermesh PRIVATE mesh-portal)
	target_compile_definitions(servermesh PRIVATE MESH_VERSION="${PROJECT_VERSION}")
	install(TARGETS servermesh RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET mesh-portal)
	include(${PROJECT_SOURCE_DIR}/dist/servermesh.cmake)
endif()
