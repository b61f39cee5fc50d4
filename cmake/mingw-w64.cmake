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

if(NOT MESH_WINDOWS_PREFIX)
	set(MESH_WINDOWS_PREFIX $ENV{MESH_WINDOWS_PREFIX})
endif()
if(NOT MESH_WINDOWS_SYNTAX)
	set(MESH_WINDOWS_SYNTAX $ENV{MESH_WINDOWS_SYNTAX})
endif()
if(NOT MESH_WINDOWS_PREFIX OR NOT EXISTS ${MESH_WINDOWS_PREFIX}/lib/pkgconfig/glib-2.0.pc)
	message(FATAL_ERROR "the Windows build needs MESH_WINDOWS_PREFIX, the libraries that "
		"tools/windows-deps.sh builds: run sh tools/test-windows.sh, or "
		". tools/windows-deps.sh && mesh_windows_deps before cmake")
endif()
set(MESH_WINDOWS_PREFIX ${MESH_WINDOWS_PREFIX} CACHE PATH "mingw libraries (tools/windows-deps.sh)")
set(MESH_WINDOWS_SYNTAX ${MESH_WINDOWS_SYNTAX} CACHE PATH "headers for the syntax-only pass")

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
