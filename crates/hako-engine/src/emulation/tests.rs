use std::fs;

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    binfmt: PathBuf,
    em: Emulation,
}

/// A binfmt_misc stand-in (a directory with a `register` file, handlers written by the
/// test) and a conf dir with one description whose interpreter exists.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let binfmt = dir.path().join("binfmt");
    let conf = dir.path().join("conf");
    fs::create_dir_all(&binfmt).unwrap();
    fs::create_dir_all(&conf).unwrap();
    fs::write(binfmt.join("register"), "").unwrap();
    fs::write(binfmt.join("status"), "enabled\n").unwrap();
    fs::write(
        conf.join("qemu-aarch64.conf"),
        ":qemu-aarch64:M::\\x7fELF:\\xff\\xff\\xff\\xff:/bin/sh:OC\n",
    )
    .unwrap();
    let em = Emulation::new(
        &binfmt,
        &conf,
        &dir.path().join("emulation.json"),
        Platform::new("linux", "amd64", ""),
    );
    Fixture {
        _dir: dir,
        binfmt,
        em,
    }
}

fn handler_file(f: &Fixture, name: &str, flags: &str) {
    fs::write(
        f.binfmt.join(name),
        format!("enabled\ninterpreter /bin/sh\nflags: {flags}\n"),
    )
    .unwrap();
}

#[test]
fn a_foreign_image_without_a_handler_is_refused_with_the_fix() {
    let f = fixture();
    let err =
        f.em.check_runnable("linux/arm64/v8")
            .unwrap_err()
            .to_string();
    assert!(err.contains("linux/arm64/v8"), "{err}");
    assert!(err.contains("(linux/amd64)"), "{err}");
    assert!(err.contains("hako emulation install arm64"), "{err}");
    assert!(f.em.check_runnable("linux/amd64").is_ok());
    assert!(f.em.check_runnable("linux/386").is_ok());
    let err = f.em.check_runnable("linux/sparc64").unwrap_err();
    assert!(matches!(err, EmulationError::Unsupported { .. }), "{err}");
}

#[test]
fn a_handler_counts_only_with_the_fix_binary_flag() {
    let f = fixture();
    handler_file(&f, "qemu-aarch64", "OC");
    let err = f.em.check_runnable("linux/arm64").unwrap_err();
    assert!(matches!(err, EmulationError::NoFixBinary { .. }), "{err}");
    handler_file(&f, "qemu-aarch64", "OCF");
    f.em.check_runnable("linux/arm64").unwrap();
    assert!(f.em.platforms().contains(&"linux/arm64/v8".to_string()));
}

#[test]
fn install_registers_with_fix_binary_and_records_it() {
    let f = fixture();
    let changes = f.em.install(&["arm64".into(), "amd64".into()]).unwrap();
    let actions: Vec<_> = changes
        .iter()
        .map(|c| (c.arch.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        [("arm64", Action::Registered), ("amd64", Action::Native)]
    );
    let written = fs::read_to_string(f.binfmt.join("register")).unwrap();
    assert_eq!(
        written,
        ":qemu-aarch64:M::\\x7fELF:\\xff\\xff\\xff\\xff:/bin/sh:OCF"
    );

    // The kernel would now show the handler; a second install leaves it alone.
    handler_file(&f, "qemu-aarch64", "OCF");
    let again = f.em.install(&["aarch64".into()]).unwrap();
    assert_eq!(again[0].action, Action::AlreadyRegistered);
    let list = f.em.list().unwrap();
    let arm64 = list.iter().find(|s| s.arch.goarch == "arm64").unwrap();
    assert!(arm64.registered_by_hako && arm64.can_run());
}

#[test]
fn uninstall_removes_only_what_hako_registered() {
    let f = fixture();
    handler_file(&f, "qemu-riscv64", "OCF");
    f.em.install(&["arm64".into()]).unwrap();
    handler_file(&f, "qemu-aarch64", "OCF");
    let changes = f.em.uninstall(&[]).unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].handler, "qemu-aarch64");
    assert_eq!(changes[0].action, Action::Removed);
    // The stand-in file received the kernel's removal command.
    let removed = fs::read_to_string(f.binfmt.join("qemu-aarch64")).unwrap();
    assert!(removed.starts_with("-1"), "{removed}");
    assert_eq!(
        fs::read_to_string(f.binfmt.join("qemu-riscv64")).unwrap(),
        "enabled\ninterpreter /bin/sh\nflags: OCF\n"
    );
    assert!(f.em.uninstall(&[]).unwrap().is_empty());
}

#[test]
fn missing_qemu_and_unknown_names_are_clear_errors() {
    let f = fixture();
    let err = f.em.install(&["s390x".into()]).unwrap_err().to_string();
    assert!(err.contains("qemu-user-static"), "{err}");
    assert!(err.contains("qemu-s390x.conf"), "{err}");
    let err = f.em.install(&["vax".into()]).unwrap_err().to_string();
    assert!(err.contains("unknown architecture \"vax\""), "{err}");
    assert!(err.contains("arm64"), "{err}");
}
