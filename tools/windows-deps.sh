#!/bin/sh
# SPDX-License-Identifier: MIT
# What the Windows cross-build needs and Debian does not package for mingw-w64, built from
# Debian's own source packages: OpenSSL, GLib (with libffi, pcre2 and a pass-through libintl) and
# CUnit; zlib comes from libz-mingw-w64-dev. Sourced, from the root of the tree, by
# tools/test-windows.sh:
#
#   . tools/windows-deps.sh && mesh_windows_deps
#
# installs the Debian packages the cross-build needs (as root, with apt-get), then builds the
# libraries once into a prefix under MESH_WINDOWS_CACHE (default /var/cache/meshagent-windows,
# outside the tree, kept between runs; a prefix no run used for 30 days is removed) named by a
# hash of this recipe and of the compiler, so a changed recipe or compiler builds afresh and an
# interrupted build never leaves a prefix that looks finished (it is built beside and renamed
# into place; what a killed build left is removed by the next). Exports MESH_WINDOWS_PREFIX (the
# libraries, for cmake/mingw-w64.cmake) and MESH_WINDOWS_SYNTAX (the headers of json-glib,
# libsoup, SQLite, libpq, tss2 and libqrencode for the syntax-only pass: cmake/syntax-only.cmake). Only
# Debian's archive is used: sources through `apt-get source` with a private apt configuration, so the
# system's own lists stay untouched.
set -eu
. tools/deps.sh

MESH_WINDOWS_PACKAGES="mingw-w64 wine wine64 libz-mingw-w64-dev meson ninja-build dpkg-dev
 pkg-config libjson-glib-dev libsoup-3.0-dev libsqlite3-dev libtss2-dev libqrencode-dev libpq-dev"
MESH_WINDOWS_SOURCES="openssl glib2.0 libffi pcre2 cunit"
MESH_WINDOWS_HOST=x86_64-w64-mingw32

mesh_windows_packages() {
	# shellcheck disable=SC2086
	mesh_install_missing "the Windows build needs" $MESH_WINDOWS_PACKAGES
}

# The Debian sources, unpacked into $1 (one folder per package, named by the package).
mesh_windows_fetch() {
	w=$1
	mkdir -p "$w/apt/parts" "$w/apt/lists/partial" "$w/src"
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
		>"$w/apt/parts/src.sources"
	o="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$w/apt/parts"
	o="$o -o Dir::State::Lists=$w/apt/lists -o Dir::Cache=$w/apt/cache"
	# shellcheck disable=SC2086
	apt-get $o update -qq
	for s in $MESH_WINDOWS_SOURCES; do
		# shellcheck disable=SC2086
		(cd "$w/src" && apt-get $o -qq source --download-only "$s/bookworm" >/dev/null)
	done
	for dsc in "$w"/src/*.dsc; do
		name=$(basename "$dsc" | sed 's/_.*//')
		dpkg-source --no-check -x "$dsc" "$w/src/$name" >/dev/null
	done
}

# A libintl that passes the message through: GLib is built with -Dnls=disabled, but its build
# still links libintl. format_arg keeps gio's -Werror=format-nonliteral content.
mesh_windows_intl() {
	p=$1 w=$2
	cat >"$p/include/libintl.h" <<'EOF'
#ifndef MESH_LIBINTL_STUB_H
#define MESH_LIBINTL_STUB_H
#include <locale.h>
#ifndef LC_MESSAGES
#define LC_MESSAGES 1729 /* as GNU gettext's libintl.h: the C runtime has none */
#endif
#define FA(n) __attribute__((format_arg(n)))
char *gettext(const char *m) FA(1);
char *dgettext(const char *d, const char *m) FA(2);
char *dcgettext(const char *d, const char *m, int c) FA(2);
char *ngettext(const char *m, const char *p, unsigned long n) FA(1) FA(2);
char *dngettext(const char *d, const char *m, const char *p, unsigned long n) FA(2) FA(3);
char *dcngettext(const char *d, const char *m, const char *p, unsigned long n, int c) FA(2) FA(3);
char *textdomain(const char *d);
char *bindtextdomain(const char *d, const char *dir);
char *bind_textdomain_codeset(const char *d, const char *c);
#undef FA
#endif
EOF
	cat >"$w/intl.c" <<'EOF'
#include <libintl.h>
char *gettext(const char *m) { return (char *)m; }
char *dgettext(const char *d, const char *m) { (void)d; return (char *)m; }
char *dcgettext(const char *d, const char *m, int c) { (void)d; (void)c; return (char *)m; }
char *ngettext(const char *m, const char *p, unsigned long n) { return (char *)(n == 1 ? m : p); }
char *dngettext(const char *d, const char *m, const char *p, unsigned long n)
{ (void)d; return (char *)(n == 1 ? m : p); }
char *dcngettext(const char *d, const char *m, const char *p, unsigned long n, int c)
{ (void)d; (void)c; return (char *)(n == 1 ? m : p); }
char *textdomain(const char *d) { return (char *)(d ? d : "messages"); }
char *bindtextdomain(const char *d, const char *dir) { (void)d; return (char *)dir; }
char *bind_textdomain_codeset(const char *d, const char *c) { (void)d; return (char *)c; }
EOF
	$MESH_WINDOWS_HOST-gcc -O2 -I"$p/include" -c "$w/intl.c" -o "$w/intl.o"
	$MESH_WINDOWS_HOST-ar rcs "$p/lib/libintl.a" "$w/intl.o"
}

# zlib from libz-mingw-w64-dev, copied in as a static library only (the system folder also has
# the DLL's import library, which the linker would prefer).
mesh_windows_zlib() {
	p=$1 z=/usr/$MESH_WINDOWS_HOST
	cp "$z/include/zlib.h" "$z/include/zconf.h" "$p/include/"
	cp "$z/lib/libz.a" "$p/lib/"
	v=$(sed -n 's/^Version: //p' "$z/lib/pkgconfig/zlib.pc")
	printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: zlib\nDescription: zlib\nVersion: %s\nLibs: -L${libdir} -lz\nCflags: -I${includedir}\n' \
		"$p" "$v" >"$p/lib/pkgconfig/zlib.pc"
}

mesh_windows_autotools() {
	p=$1 src=$2
	shift 2
	(cd "$src" && CPPFLAGS="-I$p/include -DPCRE2_STATIC" LDFLAGS="-L$p/lib" \
		./configure --host=$MESH_WINDOWS_HOST --prefix="$p" --libdir="$p/lib" \
		--enable-static --disable-shared "$@" &&
		make -j "$(nproc)" && make install)
}

# no-autoload-config: the library must not read a configuration file from the folder compiled
# into it (a path of this build machine, which on Windows any user might create).
mesh_windows_openssl() {
	p=$1 src=$2
	(cd "$src" && ./Configure mingw64 --cross-compile-prefix=$MESH_WINDOWS_HOST- \
		--prefix="$p" --libdir=lib no-shared no-tests no-autoload-config &&
		make -j "$(nproc)" build_libs && make install_dev)
}

mesh_windows_glib() {
	p=$1 src=$2 w=$3
	H=$MESH_WINDOWS_HOST
	cat >"$w/cross.txt" <<EOF
[binaries]
c = '$H-gcc'
cpp = '$H-g++'
ar = '$H-ar'
strip = '$H-strip'
windres = '$H-windres'
pkgconfig = 'pkg-config'

[built-in options]
c_args = ['-I$p/include', '-DPCRE2_STATIC']
c_link_args = ['-L$p/lib']
cpp_args = ['-I$p/include', '-DPCRE2_STATIC']
cpp_link_args = ['-L$p/lib']

[properties]
needs_exe_wrapper = true

[host_machine]
system = 'windows'
cpu_family = 'x86_64'
cpu = 'x86_64'
endian = 'little'
EOF
	(cd "$src" && PKG_CONFIG_LIBDIR="$p/lib/pkgconfig" PKG_CONFIG_PATH="" \
		meson setup "$w/glib-build" --cross-file "$w/cross.txt" --prefix="$p" --libdir=lib \
		--buildtype=release -Ddefault_library=static -Dtests=false -Dnls=disabled \
		-Dlibmount=disabled -Dselinux=disabled -Dxattr=false -Dsysprof=disabled \
		-Dlibelf=disabled -Dman=false -Dgtk_doc=false --wrap-mode=nodownload &&
		ninja -C "$w/glib-build" install)
}

# CUnit without its autotools: the framework and the basic interface as one static library.
mesh_windows_cunit() {
	p=$1 src=$2 w=$3
	version=$(sed -n 's/^AC_INIT(\[\{0,1\}CUnit\]\{0,1\}, *\[\{0,1\}\([0-9.-]*\).*/\1/p' \
		"$src/configure.in" "$src/configure.ac" 2>/dev/null | head -1)
	mkdir -p "$p/include/CUnit" "$w/cunit"
	for h in "$src"/CUnit/Headers/*.h; do
		cp "$h" "$p/include/CUnit/"
	done
	sed -e "s/@VERSION@/${version:-2.1}/g" -e 's/@RELEASE@/3/g' \
		"$src/CUnit/Headers/CUnit.h.in" >"$p/include/CUnit/CUnit.h"
	for c in "$src"/CUnit/Sources/Framework/*.c "$src"/CUnit/Sources/Basic/Basic.c; do
		$MESH_WINDOWS_HOST-gcc -O2 -I"$p/include" -I"$p/include/CUnit" -c "$c" \
			-o "$w/cunit/$(basename "$c" .c).o"
	done
	$MESH_WINDOWS_HOST-ar rcs "$p/lib/libcunit.a" "$w"/cunit/*.o
	printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: CUnit\nDescription: CUnit\nVersion: %s\nLibs: -L${libdir} -lcunit\nCflags: -I${includedir}\n' \
		"$p" "${version:-2.1}" >"$p/lib/pkgconfig/cunit.pc"
}

# The headers the syntax-only pass compiles against: the same on every OS.
mesh_windows_syntax() {
	s=$1
	mkdir -p "$s"
	cp -r /usr/include/json-glib-1.0 /usr/include/libsoup-3.0 /usr/include/tss2 "$s/"
	cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h /usr/include/qrencode.h "$s/"
	cp /usr/include/postgresql/libpq-fe.h /usr/include/postgresql/postgres_ext.h \
		/usr/include/postgresql/pg_config_ext.h "$s/"
}

# Every step, in a shell of its own with -e (a function called on the left of || runs without
# it, so a failing step would go unnoticed); the output goes to the log.
mesh_windows_steps() {
	w=$1 p=$2
	mesh_windows_fetch "$w"
	echo "== zlib" && mesh_windows_zlib "$p"
	echo "== libintl" && mesh_windows_intl "$p" "$w"
	echo "== openssl" && mesh_windows_openssl "$p" "$w/src/openssl"
	echo "== libffi" && mesh_windows_autotools "$p" "$w/src/libffi" --disable-docs \
		--disable-multi-os-directory
	echo "== pcre2" && mesh_windows_autotools "$p" "$w/src/pcre2" --disable-pcre2grep-libz \
		--disable-pcre2grep-libbz2 --enable-unicode
	echo "== glib" && mesh_windows_glib "$p" "$w/src/glib2.0" "$w"
	echo "== cunit" && mesh_windows_cunit "$p" "$w/src/cunit" "$w"
	echo "== syntax headers" && mesh_windows_syntax "$p/syntax"
	test -f "$p/lib/pkgconfig/glib-2.0.pc" && test -f "$p/lib/libcunit.a"
}

mesh_windows_build() {
	final=$1
	w=$(mktemp -d "$MESH_WINDOWS_CACHE/.build-XXXXXX")
	p=$w/prefix
	mkdir -p "$p/include" "$p/lib/pkgconfig"
	log=$MESH_WINDOWS_CACHE/build.log
	echo "== building the Windows dependencies into $final (log: $log; once per recipe)"
	if ! sh -ec '. ./tools/windows-deps.sh; mesh_windows_steps "$1" "$2"' sh "$w" "$p" \
		>"$log" 2>&1; then
		echo "the Windows dependencies did not build; the end of $log:" >&2
		tail -n 30 "$log" >&2
		rm -rf "$w"
		exit 1
	fi
	# pkg-config files name the prefix they were built in: point them at the final one.
	find "$p/lib/pkgconfig" -name '*.pc' -exec sed -i "s|$p|$final|g" {} +
	rm -rf "$final"
	mv "$p" "$final"
	rm -rf "$w"
}

# With the lock held, nothing else builds: a .build-* folder is what a killed build left (a GB or
# two). The prefix of another recipe that no run has used for 30 days goes too.
mesh_windows_prune() {
	for d in "$MESH_WINDOWS_CACHE"/.build-* "$MESH_WINDOWS_CACHE"/*; do
		[ -d "$d" ] || continue
		case $(basename "$d") in
		.build-*) rm -rf "$d" ;;
		"$1") ;;
		*)
			if [ -n "$(find "$d" -maxdepth 1 -name '.used' -mtime +30)" ]; then
				rm -rf "$d"
			fi
			;;
		esac
	done
	return 0
}

mesh_windows_deps() {
	mesh_windows_packages
	MESH_WINDOWS_CACHE=${MESH_WINDOWS_CACHE:-/var/cache/meshagent-windows}
	mkdir -p "$MESH_WINDOWS_CACHE"
	key=$( (cat tools/windows-deps.sh
		$MESH_WINDOWS_HOST-gcc --version
		dpkg-query -W libjson-glib-dev libsoup-3.0-dev libsqlite3-dev libtss2-dev \
			libqrencode-dev libpq-dev) |
		sha256sum | cut -c1-16)
	final=$MESH_WINDOWS_CACHE/$key
	# One build at a time; a second run waits for the first and then finds its prefix.
	exec 9>"$MESH_WINDOWS_CACHE/.lock"
	flock 9
	mesh_windows_prune "$key"
	[ -f "$final/.complete" ] || {
		mesh_windows_build "$final"
		touch "$final/.complete"
	}
	touch "$final/.used"
	exec 9>&-
	MESH_WINDOWS_PREFIX=$final
	MESH_WINDOWS_SYNTAX=$final/syntax
	export MESH_WINDOWS_PREFIX MESH_WINDOWS_SYNTAX
}
