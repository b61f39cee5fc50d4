# SPDX-License-Identifier: MIT
# meshclient (the profile manager wizard, §4.2) and meshconnect (the connection wizard, §4.3):
# interactive front ends on libmeshclient, linked like mesh with the CLI's shared code (agent
# autostart, portal options, passphrase reading). Included from cli/CMakeLists.txt after
# verbs.cmake.
if(NOT TARGET meshclient)
	return()
endif()
# The shared CLI code once, for both wizards.
add_library(mesh-wizard-common STATIC
	${CMAKE_CURRENT_SOURCE_DIR}/wizard.c
	${CMAKE_CURRENT_SOURCE_DIR}/cli.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-agent.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-profile.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-device.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-connect.c
	${CMAKE_CURRENT_SOURCE_DIR}/qr.c
	${CMAKE_CURRENT_SOURCE_DIR}/cmd-lock.c)
target_link_libraries(mesh-wizard-common PUBLIC meshclient mesh-platform mesh-core
	PkgConfig::QRENCODE)
target_compile_definitions(mesh-wizard-common PRIVATE MESH_VERSION="${PROJECT_VERSION}")
# The target meshclient is the library (client/CMakeLists.txt): the profile manager's target is
# meshclient-wizard, its program meshclient.
add_executable(meshclient-wizard meshclient.c)
set_target_properties(meshclient-wizard PROPERTIES OUTPUT_NAME meshclient)
add_executable(meshconnect meshconnect.c)
foreach(wizard meshclient-wizard meshconnect)
	target_link_libraries(${wizard} PRIVATE mesh-wizard-common)
	target_compile_definitions(${wizard} PRIVATE MESH_VERSION="${PROJECT_VERSION}")
	install(TARGETS ${wizard} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endforeach()
