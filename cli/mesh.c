/* SPDX-License-Identifier: MIT */
/* mesh: the command line of the Mathematical Mesh. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "platform.h"
#include "secret.h"
#include "verbs.h"

#ifndef MESH_VERSION
#error "MESH_VERSION must be defined by the build"
#endif

static const MeshCliVerb verbs[] = {
	{ "udf", "print the UDF (fingerprint) of a file, an authenticator, or a nonce", mesh_cmd_udf },
	{ "share", "split a secret into shares, or combine shares back into it", mesh_cmd_share },
	{ "agent", "start, stop or query the agent; start it at login", mesh_cmd_agent },
	{ "device", "create and show this machine's device profile and keys", mesh_cmd_device },
	{ "key", "list the agent's keys, sign with one, show a public key", mesh_cmd_key },
	{ "hive", "copy profiles and keys between the test and production hives", mesh_cmd_hive },
	{ "lock", "make the agent wipe the keys it has unwrapped", mesh_cmd_lock },
	{ "unlock", "unwrap the passphrase-protected keys in the agent", mesh_cmd_unlock },
	{ "account", "ask a portal whether an account may be created", mesh_cmd_account },
	{ "profile", "create, show, sync, delete or recover an account's profile", mesh_cmd_profile },
	{ "escrow", "split the master keys into shares; check shares", mesh_cmd_escrow },
	{ "connect", "connect a new device to a profile; accept or reject one", mesh_cmd_connect },
	{ "app", "list, add, change and read application profiles", mesh_cmd_app },
	{ "password", "store, read, list and delete passwords", mesh_cmd_password },
	{ "ssh", "make this device's SSH key; authorized keys; the ssh-agent socket", mesh_cmd_ssh },
	{ "policy", "which program may use which key or application", mesh_cmd_policy },
	{ "approve", "list the requests waiting for an answer; allow one", mesh_cmd_approve },
	{ "deny", "refuse a request waiting for an answer", mesh_cmd_deny },
	{ "audit", "show and check the log of what each program did with the keys", mesh_cmd_audit },
};

static void
usage(FILE *out)
{
	fprintf(out, "Usage: mesh [--json] COMMAND [ARGS...]\n"
		     "\n"
		     "The Mathematical Mesh: your keys, profiles and credentials in step across your "
		     "devices.\n"
		     "\n"
		     "Commands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(verbs); i++)
		fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(out, "\n"
		     "Options:\n"
		     "  --json       machine-readable output (JSON on stdout, errors included)\n"
		     "  --hive H     the hive to use: test or production (default: $MESH_HIVE, else\n"
		     "               production)\n"
		     "  -h, --help   this help; 'mesh COMMAND --help' for a command\n"
		     "  --version    print the version\n"
		     "\n"
		     "The exit status is 0 on success, else the MeshError code of the failure.\n");
}

int
main(int argc, char **argv)
{
	MeshCliGlobals globals = { 0 };
	int i, r, w = 1;

	setlocale(LC_ALL, "");
	/* This tool handles secrets (shares, keys): keep them out of core files and swap. */
	mesh_platform_no_core_dumps();
	mesh_secret_heap_init(0, NULL);

	/* Global options are accepted anywhere before a "--": take them out of argv. */
	for (r = 1; r < argc && !g_str_equal(argv[r], "--"); r++) {
		if (g_str_equal(argv[r], "--json")) {
			globals.json = TRUE;
		} else if (g_str_equal(argv[r], "--hive") && r + 1 < argc) {
			globals.hive = argv[++r];
		} else if (g_str_has_prefix(argv[r], "--hive=")) {
			globals.hive = argv[r] + strlen("--hive=");
		} else if (g_str_equal(argv[r], "--hive")) {
			return mesh_cli_failf(&globals, NULL, MESH_ERROR_USAGE,
					      "--hive needs a value: test or production");
		} else {
			argv[w++] = argv[r];
		}
	}
	while (r < argc)
		argv[w++] = argv[r++];
	argv[w] = NULL;
	argc = w;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (g_str_equal(argv[i], "--version")) {
			printf("mesh (meshagent) %s\n", MESH_VERSION);
			return 0;
		} else {
			return mesh_cli_failf(&globals, NULL, MESH_ERROR_USAGE,
					      "unknown option '%s' (see 'mesh --help')", argv[i]);
		}
	}
	if (i == argc) {
		usage(stderr);
		return MESH_ERROR_USAGE;
	}
	if (g_str_equal(argv[i], "help")) {
		if (i + 1 == argc) {
			usage(stdout);
			return 0;
		}
		/* "mesh help VERB" is "mesh VERB --help" */
		for (gsize v = 0; v < G_N_ELEMENTS(verbs); v++) {
			if (g_str_equal(argv[i + 1], verbs[v].name)) {
				char *help_argv[] = { argv[i + 1], (char *)"--help", NULL };

				return verbs[v].run(2, help_argv, &globals);
			}
		}
		return mesh_cli_failf(&globals, NULL, MESH_ERROR_USAGE,
				      "unknown command '%s' (see 'mesh --help')", argv[i + 1]);
	}
	for (gsize v = 0; v < G_N_ELEMENTS(verbs); v++) {
		if (g_str_equal(argv[i], verbs[v].name))
			return verbs[v].run(argc - i, argv + i, &globals);
	}
	return mesh_cli_failf(&globals, NULL, MESH_ERROR_USAGE,
			      "unknown command '%s' (see 'mesh --help')", argv[i]);
}
