# SPDX-License-Identifier: MIT
# libmeshclient: the flat client API <mesh/client.h> (docs/design.md "Programs"), a shared library
# that other programs link through pkg-config (meshclient.pc). Included from the top level.
add_library(meshclient SHARED ${PROJECT_SOURCE_DIR}/ipc/client.c)
set_target_properties(meshclient PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0)
target_include_directories(meshclient PUBLIC
	$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
target_link_libraries(meshclient PRIVATE mesh-platform mesh-core PkgConfig::JSONGLIB
	PkgConfig::GLIB)

# Only the mesh_client_* functions are the library's ABI: the core code linked into it stays
# private, so it cannot clash with a program's own copy of GLib helpers or OpenSSL wrappers.
set(MESH_CLIENT_MAP ${CMAKE_CURRENT_BINARY_DIR}/meshclient.map)
file(WRITE ${MESH_CLIENT_MAP}
	"MESHCLIENT_0 {\n\tglobal:\n\t\tmesh_client_*;\n\tlocal:\n\t\t*;\n};\n")
target_link_options(meshclient PRIVATE -Wl,--version-script=${MESH_CLIENT_MAP})
set_property(TARGET meshclient APPEND PROPERTY LINK_DEPENDS ${MESH_CLIENT_MAP})
# The top level adds -pie to every link; on a shared library it would make an executable.
get_target_property(MESH_CLIENT_LINK_OPTIONS meshclient LINK_OPTIONS)
if(MESH_CLIENT_LINK_OPTIONS)
	list(REMOVE_ITEM MESH_CLIENT_LINK_OPTIONS -pie)
	set_target_properties(meshclient PROPERTIES LINK_OPTIONS "${MESH_CLIENT_LINK_OPTIONS}")
endif()

# meshclient.pc is written at install time, so that 'cmake --install --prefix P' gets P in it.
install(CODE "set(MESH_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
	set(PROJECT_VERSION ${PROJECT_VERSION})
	set(CMAKE_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR})
	set(CMAKE_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
	configure_file(\"${PROJECT_SOURCE_DIR}/ipc/meshclient.pc.in\"
		\"${CMAKE_CURRENT_BINARY_DIR}/meshclient.pc\" @ONLY)")

install(TARGETS meshclient LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/mesh/client.h ${PROJECT_SOURCE_DIR}/include/mesh/error.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mesh)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/meshclient.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Start at login: systemd user units and an XDG autostart entry.
include(${PROJECT_SOURCE_DIR}/dist/dist.cmake)
