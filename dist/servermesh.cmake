# SPDX-License-Identifier: MIT
# The portal as a systemd system service: servermesh@DOMAIN.service (the template
# servermesh@.service, its placeholder filled with the servermesh of the bindir under the prefix
# being installed to) and the system user it runs as (sysusers.d). Included from
# cli/servermesh.cmake; README "Running a portal" says how to use them.
if(IS_ABSOLUTE ${CMAKE_INSTALL_BINDIR})
	set(MESH_DIST_BINDIR ${CMAKE_INSTALL_BINDIR})
else()
	set(MESH_DIST_BINDIR "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")
endif()
# A unit file splits ExecStart= at spaces and expands '%': a prefix with a space is quoted, a
# '%' doubled.
install(CODE "set(servermesh \"${MESH_DIST_BINDIR}/servermesh\")
	if(servermesh MATCHES \" \")
		set(servermesh \"\\\"\${servermesh}\\\"\")
	endif()
	string(REPLACE \"%\" \"%%\" servermesh \"\${servermesh}\")
	file(READ \"${PROJECT_SOURCE_DIR}/dist/servermesh@.service\" text)
	string(CONFIGURE \"\${text}\" text @ONLY)
	file(WRITE \"${CMAKE_BINARY_DIR}/dist/servermesh@.service\" \"\${text}\")")
install(FILES ${CMAKE_BINARY_DIR}/dist/servermesh@.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/dist/servermesh.sysusers DESTINATION lib/sysusers.d
	RENAME servermesh.conf)
