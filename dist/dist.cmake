# SPDX-License-Identifier: MIT
# Start-at-login files for the agent: systemd user units (socket-activated) and an XDG autostart
# entry. @bindir@ becomes the bindir under the prefix being installed to (so 'cmake --install
# --prefix P' gets units that start P/bin/meshagent); 'mesh agent install-login' puts in the
# folder of the mesh binary that runs it instead.
if(IS_ABSOLUTE ${CMAKE_INSTALL_BINDIR})
	set(MESH_DIST_BINDIR ${CMAKE_INSTALL_BINDIR})
else()
	set(MESH_DIST_BINDIR "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")
endif()
foreach(unit meshagent.socket meshagent.service meshagent.desktop)
	install(CODE "set(bindir \"${MESH_DIST_BINDIR}\")
		configure_file(\"${PROJECT_SOURCE_DIR}/dist/${unit}\"
			\"${CMAKE_BINARY_DIR}/dist/${unit}\" @ONLY)")
endforeach()
install(FILES ${CMAKE_BINARY_DIR}/dist/meshagent.socket ${CMAKE_BINARY_DIR}/dist/meshagent.service
	DESTINATION lib/systemd/user)
install(FILES ${CMAKE_BINARY_DIR}/dist/meshagent.desktop
	DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/xdg/autostart)
