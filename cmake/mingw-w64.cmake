# SPDX-License-Identifier: MIT
# Cross-building for 64-bit Windows with Debian's mingw-w64, against the libraries that
# tools/windows-deps.sh builds into MESH_WINDOWS_PREFIX (taken from the environment when not
# given with -D). Test programs run under Wine (CMAKE_CROSSCOMPILING_EMULATOR): tools/test-windows.sh.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(MESH_MINGW x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MESH_MINGW}-gcc)
set(CMAKE_CXX_COMPILER ${MESH_MINGW}-g++)
set(CMAKE_RC_COMPILER ${MESH_MINGW}-windres)

# The environment (mesh_windows_deps exports it) wins over the cache: a changed recipe builds a
# prefix of another name, and a build folder configured before must follow it.
foreach(var MESH_WINDOWS_PREFIX MESH_WINDOWS_SYNTAX)
	if(NOT "$ENV{${var}}" STREQUAL "")
		set(${var} $ENV{${var}})
	endif()
endforeach()
if(NOT MESH_WINDOWS_PREFIX OR NOT EXISTS ${MESH_WINDOWS_PREFIX}/lib/pkgconfig/glib-2.0.pc)
	message(FATAL_ERROR "the Windows build needs MESH_WINDOWS_PREFIX, the libraries that "
		"tools/windows-deps.sh builds: run sh tools/test-windows.sh, or "
		". tools/windows-deps.sh && mesh_windows_deps before cmake")
endif()
# A build folder configured for another prefix forgets what pkg-config found there (and the
# libraries it found by those findings).
if(DEFINED CACHE{MESH_WINDOWS_PREFIX} AND NOT "$CACHE{MESH_WINDOWS_PREFIX}" STREQUAL
		"${MESH_WINDOWS_PREFIX}")
	get_cmake_property(cached CACHE_VARIABLES)
	foreach(var ${cached})
		if(var MATCHES "^(__pkg_config_checked_|pkgcfg_lib_)")
			unset(${var} CACHE)
		endif()
	endforeach()
endif()
set(MESH_WINDOWS_PREFIX ${MESH_WINDOWS_PREFIX} CACHE PATH "mingw libraries (tools/windows-deps.sh)"
	FORCE)
set(MESH_WINDOWS_SYNTAX ${MESH_WINDOWS_SYNTAX} CACHE PATH "headers for the syntax-only pass" FORCE)

set(CMAKE_FIND_ROOT_PATH ${MESH_WINDOWS_PREFIX} /usr/${MESH_MINGW})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config sees only the cross-built libraries, statically (their private dependencies too).
set(ENV{PKG_CONFIG_LIBDIR} ${MESH_WINDOWS_PREFIX}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(PKG_CONFIG_ARGN --static)
set(CMAKE_CROSSCOMPILING_EMULATOR wine)
