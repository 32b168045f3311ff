"""python/install, the README's command: the package it writes imports in a fresh
/usr/bin/python3 that knows nothing but that folder, and its default folder is one
that Python searches."""

import pathlib
import subprocess

INSTALL = pathlib.Path(__file__).resolve().parents[1] / "install"
PYTHON = "/usr/bin/python3"


def test_installed_package_imports_on_its_own(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "site"
    subprocess.run([PYTHON, str(INSTALL), "--target", str(target)], check=True,
                   capture_output=True)
    probe = ("import qbake, qbake.v1.bake_pb2 as pb; "
             "print(qbake.Client.__name__, qbake.BakeError.__name__, "
             "pb.BakeStreamHeader.DESCRIPTOR.fields_by_name['ppq_config_json'].number)")
    imported = subprocess.run([PYTHON, "-c", probe], cwd=tmp_path, check=True,
                              capture_output=True, text=True,
                              env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert imported.stdout.split() == ["Client", "BakeError", "4"]
    assert (target / "qbake" / "py.typed").is_file()
    assert not list(target.glob(".qbake-install-*"))  # its scratch folder is gone


def test_default_folder_is_on_pythons_path() -> None:
    default = subprocess.run(
        [PYTHON, "-c", "import runpy; print(runpy.run_path(%r)['DEFAULT_TARGET'])" % str(INSTALL)],
        check=True, capture_output=True, text=True).stdout.strip()
    searched = subprocess.run([PYTHON, "-c", "import sys; print('\\n'.join(sys.path))"],
                              check=True, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}).stdout.split("\n")
    assert default in searched
