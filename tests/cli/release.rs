//! The release automation: `.github/workflows/release.yml` parsed, its build matrix
//! expanded, and every artifact that the Action's install script (`scripts/install.sh`, for
//! each runner OS and architecture) and the README ask for checked to be one it produces.
//! The workflow cannot run here; `.ci/build-dist` and `.ci/check-dist` build and run the
//! x86_64 Linux artifacts for real.

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::common::*;

fn workflow() -> Yaml {
    let text = fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    YamlLoader::load_from_str(&text).expect("release.yml is valid YAML").remove(0)
}

/// `run` of the step named `name`, with `${{ matrix.KEY }}` replaced from `entry`.
fn step_run(steps: &[Yaml], name: &str, entry: &Yaml) -> String {
    let step = steps.iter().find(|s| s["name"].as_str() == Some(name)).unwrap_or_else(|| panic!("{name}"));
    let mut run = step["run"].as_str().unwrap().to_string();
    for (k, v) in entry.as_hash().unwrap() {
        run = run.replace(&format!("${{{{ matrix.{} }}}}", k.as_str().unwrap()), v.as_str().unwrap());
    }
    assert!(!run.contains("${{ matrix."), "{name}: unknown matrix key in {run}");
    run
}

/// The files the workflow attaches to a release: per matrix entry, the binary and its
/// `.sha256`, plus `SHA256SUMS`; and the targets it builds wheels for.
fn produced() -> (BTreeSet<String>, BTreeSet<String>) {
    let wf = workflow();
    let tags: Vec<_> =
        wf["on"]["push"]["tags"].as_vec().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(tags, ["v*"], "released on version tags");
    let build = &wf["jobs"]["build"];
    let steps = build["steps"].as_vec().unwrap();
    let (mut files, mut wheels) = (BTreeSet::new(), BTreeSet::new());
    let at = |name: &str| steps.iter().position(|s| s["name"].as_str() == Some(name));
    assert!(
        at("Wheel") < at("Binary") && at("Wheel").is_some(),
        "the binary is copied from the wheel's build"
    );
    for entry in build["strategy"]["matrix"]["include"].as_vec().unwrap() {
        let (target, exe) = (entry["target"].as_str().unwrap(), entry["exe"].as_str().unwrap());
        let name = format!("loftyscan-{target}{exe}");
        // One build: maturin's (profile portable); the binary is copied from its output.
        let wheel = step_run(steps, "Wheel", entry);
        assert!(wheel.starts_with(&format!("maturin build --locked --target {target} ")), "{wheel}");
        assert!(wheel.ends_with("--out ../dist"), "{wheel}");
        if target.contains("linux") {
            assert!(wheel.contains("--zig --compatibility manylinux2014"), "{target}: manylinux2014 wheel");
        }
        let bin = step_run(steps, "Binary", entry);
        assert!(
            bin.starts_with(&format!("cp target/{target}/portable/loftyscan{exe} dist/{name}\n")),
            "{bin}"
        );
        assert!(bin.contains(&format!("> {name}.sha256")), "{target}: its checksum is written");
        files.extend([name.clone(), format!("{name}.sha256")]);
        wheels.insert(target.to_string());
        let upload = steps.iter().find(|s| s["uses"].as_str() == Some("actions/upload-artifact@v4")).unwrap();
        assert_eq!(upload["with"]["path"].as_str(), Some("dist/*"));
    }
    let release = &wf["jobs"]["release"];
    assert_eq!(release["permissions"]["contents"].as_str(), Some("write"));
    let runs: Vec<&str> =
        release["steps"].as_vec().unwrap().iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.iter().any(|r| r.contains("> SHA256SUMS")), "SHA256SUMS is written");
    files.insert("SHA256SUMS".into());
    assert!(runs.iter().any(|r| r.starts_with("gh release create \"$GITHUB_REF_NAME\" dist/*")));
    let publish = release["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some("Publish the wheels to PyPI"));
    assert_eq!(publish.unwrap()["if"].as_str(), Some("env.PYPI_TOKEN != ''"), "publishes only with a token");
    (files, wheels)
}

#[test]
fn release_builds_the_five_targets_with_checksums_and_wheels() {
    let (files, wheels) = produced();
    let want = [
        "aarch64-apple-darwin",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "x86_64-unknown-linux-gnu",
    ];
    assert_eq!(wheels, want.iter().map(|t| t.to_string()).collect());
    assert!(files.contains("loftyscan-x86_64-pc-windows-msvc.exe.sha256"), "{files:?}");
    assert_eq!(files.len(), 2 * want.len() + 1, "{files:?}");
}

#[test]
fn every_artifact_the_action_installs_is_released() {
    let (files, _) = produced();
    // Every runner GitHub hosts: `uname -s` and `uname -m` as each reports them.
    for (os, arch) in [
        ("Linux", "x86_64"),
        ("Linux", "aarch64"),
        ("Darwin", "x86_64"),
        ("Darwin", "arm64"),
        ("MINGW64_NT-10.0-20348", "x86_64"),
    ] {
        let out = Command::new("bash")
            .arg(root().join("scripts/install.sh"))
            .args(["--print-name", "--os", os, "--arch", arch])
            .output()
            .unwrap();
        assert!(out.status.success(), "{os} {arch}: {}", String::from_utf8_lossy(&out.stderr));
        let name = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(files.contains(&name), "{os} {arch}: the Action asks for {name}, not released");
        assert!(files.contains(&format!("{name}.sha256")), "{os} {arch}: {name}.sha256 not released");
    }
    let out = Command::new("bash")
        .arg(root().join("scripts/install.sh"))
        .args(["--print-name", "--os", "FreeBSD", "--arch", "amd64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "no release for an OS it does not build for");
}

#[test]
fn every_artifact_the_readme_names_is_released() {
    let (files, _) = produced();
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let named: BTreeSet<&str> = readme
        .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .filter(|w| {
            w.starts_with("loftyscan-x86_64") || w.starts_with("loftyscan-aarch64") || *w == "SHA256SUMS"
        })
        .map(|w| w.trim_end_matches('.'))
        .collect();
    assert!(named.len() >= 3, "the README names the release binaries: {named:?}");
    for name in named {
        assert!(files.contains(name), "README names {name}, which release.yml does not produce");
    }
    assert!(readme.contains("pip install loftyscan"), "README: pip install loftyscan");
}

#[test]
fn wheel_and_hook_shim_carry_the_crate_version() {
    let cargo = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let version = cargo.lines().find_map(|l| l.strip_prefix("version = ")).unwrap().trim_matches('"');
    let wheel = fs::read_to_string(root().join("python/pyproject.toml")).unwrap();
    assert!(wheel.contains("dynamic = [\"version\"]") && wheel.contains("bindings = \"bin\""), "{wheel}");
    assert!(wheel.contains("profile = \"portable\""), "release.yml copies target/TARGET/portable/: {wheel}");
    let shim = fs::read_to_string(root().join("pyproject.toml")).unwrap();
    assert!(shim.contains(&format!("version = \"{version}\"")), "pyproject.toml: version {version}");
    assert!(shim.contains(&format!("dependencies = [\"loftyscan=={version}\"]")), "the shim pins the wheel");
    let hooks = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = YamlLoader::load_from_str(&hooks).unwrap().remove(0);
    let lang = |id: &str| {
        hooks.as_vec().unwrap().iter().find(|h| h["id"].as_str() == Some(id)).unwrap()["language"].clone()
    };
    assert_eq!(lang("loftyscan").as_str(), Some("rust"));
    assert_eq!(lang("loftyscan-wheel").as_str(), Some("python"));
}
