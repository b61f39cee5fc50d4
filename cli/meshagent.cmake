# SPDX-License-Identifier: MIT
# meshagent: the per-user agent daemon (ipc/). Included from cli/CMakeLists.txt.
if(TARGET mesh-ipc)
	add_executable(meshagent meshagent.c)
	target_link_libraries(meshagent PRIVATE mesh-ipc)
	target_compile_definitions(meshagent PRIVATE MESH_VERSION="${PROJECT_VERSION}")
	install(TARGETS meshagent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
