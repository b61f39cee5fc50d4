# SPDX-License-Identifier: MIT
# Where json-glib cannot be had (a Windows cross-build here): every product source that is not
# built for real is compiled with -fsyntax-only and the project's warnings (-Werror with
# MESH_WERROR) against the headers of its libraries (json-glib, libsoup, SQLite, libpq, tss2, and
# libqrencode for cli/qr.c — the same on every OS; tools/windows-deps.sh copies them into
# MESH_WINDOWS_SYNTAX). So the whole tree but
# the other OS folders is checked for Windows even though only the json-free part links here.
if(NOT MESH_WINDOWS_SYNTAX OR NOT EXISTS ${MESH_WINDOWS_SYNTAX}/json-glib-1.0)
	message(FATAL_ERROR "the syntax-only pass needs MESH_WINDOWS_SYNTAX: the headers that "
		"tools/windows-deps.sh installs (. tools/windows-deps.sh && mesh_windows_deps)")
endif()
set(MESH_SYNTAX_SOURCES)
foreach(dir core backends ipc portal client cli examples ${MESH_OS_FOLDER})
	file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.c)
	list(APPEND MESH_SYNTAX_SOURCES ${sources})
endforeach()
# Less what is built for real.
foreach(target mesh-core-base mesh-core mesh-platform mesh-backends mesh-ipc-base mesh-ipc
		mesh-portal)
	if(TARGET ${target})
		get_target_property(sources ${target} SOURCES)
		get_target_property(dir ${target} SOURCE_DIR)
		foreach(source ${sources})
			get_filename_component(source ${source} ABSOLUTE BASE_DIR ${dir})
			list(REMOVE_ITEM MESH_SYNTAX_SOURCES ${source})
		endforeach()
	endif()
endforeach()
list(LENGTH MESH_SYNTAX_SOURCES MESH_SYNTAX_COUNT)
message(STATUS "syntax-only: ${MESH_SYNTAX_COUNT} sources")
# An object library whose compiler writes no object: nothing links it; its "build" is the check.
add_library(mesh-syntax-only OBJECT ${MESH_SYNTAX_SOURCES})
target_compile_options(mesh-syntax-only PRIVATE -fsyntax-only)
target_compile_definitions(mesh-syntax-only PRIVATE MESH_VERSION="${PROJECT_VERSION}"
	MESH_HAVE_TPM2)
target_include_directories(mesh-syntax-only PRIVATE ${PROJECT_SOURCE_DIR}/include
	${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/backends ${PROJECT_SOURCE_DIR}/ipc
	${PROJECT_SOURCE_DIR}/portal ${PROJECT_SOURCE_DIR}/client ${PROJECT_SOURCE_DIR}/cli
	${PROJECT_SOURCE_DIR}/${MESH_OS_FOLDER})
# The libraries' headers as system headers, as they are on Linux: their own deprecations (tss2's)
# are theirs, not ours.
target_include_directories(mesh-syntax-only SYSTEM PRIVATE ${MESH_WINDOWS_SYNTAX}
	${MESH_WINDOWS_SYNTAX}/json-glib-1.0 ${MESH_WINDOWS_SYNTAX}/libsoup-3.0)
target_link_libraries(mesh-syntax-only PRIVATE PkgConfig::GLIB PkgConfig::CRYPTO)
