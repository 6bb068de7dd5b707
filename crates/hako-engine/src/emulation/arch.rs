//! The architectures hako can emulate, named as images name them (`arm64`, `arm/v7`) and
//! as qemu and binfmt_misc name them (`aarch64`, `arm`).

use hako_image::Platform;

/// One emulatable architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    /// The image architecture (`GOARCH`).
    pub goarch: &'static str,
    /// The CPU variant, when the architecture has several.
    pub variant: &'static str,
    /// qemu's name: the handler is `qemu-<name>` and Debian's description is
    /// `/usr/lib/binfmt.d/qemu-<name>.conf`.
    pub qemu: &'static str,
}

/// Every architecture `emulation ls` reports, in the order it reports them.
pub const ARCHES: &[Arch] = &[
    Arch::new("amd64", "", "x86_64"),
    Arch::new("arm64", "v8", "aarch64"),
    Arch::new("arm", "v7", "arm"),
    Arch::new("arm", "v6", "arm"),
    Arch::new("ppc64le", "", "ppc64le"),
    Arch::new("s390x", "", "s390x"),
    Arch::new("riscv64", "", "riscv64"),
    Arch::new("386", "", "i386"),
    Arch::new("mips64le", "", "mips64el"),
];

impl Arch {
    const fn new(goarch: &'static str, variant: &'static str, qemu: &'static str) -> Arch {
        Arch {
            goarch,
            variant,
            qemu,
        }
    }

    /// `linux/arm64/v8`, `linux/amd64`.
    pub fn platform(&self) -> String {
        if self.variant.is_empty() {
            format!("linux/{}", self.goarch)
        } else {
            format!("linux/{}/{}", self.goarch, self.variant)
        }
    }

    /// The short name users type: `arm64`, `arm/v7`, `amd64`.
    pub fn short(&self) -> String {
        if self.variant.is_empty() || self.goarch == "arm64" {
            self.goarch.to_string()
        } else {
            format!("{}/{}", self.goarch, self.variant)
        }
    }

    /// The handler's name in binfmt_misc.
    pub fn handler(&self) -> String {
        format!("qemu-{}", self.qemu)
    }

    /// Whether the host CPU runs this architecture without emulation: its own, and the
    /// 32-bit mode x86-64 kernels keep for i386.
    pub fn is_native(&self, host: &Platform) -> bool {
        match host.architecture.as_str() {
            "amd64" => matches!(self.goarch, "amd64" | "386"),
            other => self.goarch == other,
        }
    }
}

/// Finds an architecture by the names users give: `arm64`, `aarch64`, `linux/arm64/v8`,
/// `arm`, `arm/v7`, `armhf`, `x86_64`, `i386`, `riscv64`...
pub fn lookup(name: &str) -> Option<&'static Arch> {
    let name = name.strip_prefix("linux/").unwrap_or(name);
    let (arch, variant) = name.split_once('/').unwrap_or((name, ""));
    let goarch = match arch {
        "aarch64" => "arm64",
        "x86_64" | "x86-64" => "amd64",
        "i386" | "i686" | "x86" => "386",
        "armhf" | "armel" | "arm" => "arm",
        "mips64el" => "mips64le",
        other => other,
    };
    let variant = match (goarch, variant) {
        ("arm", "") => "v7",
        ("arm64", _) => "v8",
        (_, v) => v,
    };
    ARCHES
        .iter()
        .find(|a| a.goarch == goarch && a.variant == variant)
}

/// The architecture an image platform needs; `None` for one hako cannot emulate.
pub fn for_platform(p: &Platform) -> Option<&'static Arch> {
    let variant = match (p.architecture.as_str(), p.variant.as_str()) {
        // v5 and v6 binaries run on qemu-arm too; qemu-arm serves every 32-bit arm.
        ("arm", "v5") | ("arm", "") => "v7",
        (_, v) => v,
    };
    ARCHES
        .iter()
        .find(|a| a.goarch == p.architecture && (a.variant == variant || a.variant.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_accepts_docker_qemu_and_debian_names() {
        for (name, qemu) in [
            ("arm64", "aarch64"),
            ("aarch64", "aarch64"),
            ("linux/arm64/v8", "aarch64"),
            ("arm", "arm"),
            ("arm/v6", "arm"),
            ("armhf", "arm"),
            ("x86_64", "x86_64"),
            ("386", "i386"),
            ("mips64el", "mips64el"),
            ("riscv64", "riscv64"),
        ] {
            assert_eq!(lookup(name).map(|a| a.qemu), Some(qemu), "{name}");
        }
        assert_eq!(lookup("arm/v6").map(Arch::short).as_deref(), Some("arm/v6"));
        assert!(lookup("sparc").is_none());
        assert!(lookup("arm/v9").is_none());
    }

    #[test]
    fn image_platforms_map_to_their_emulator() {
        let arch = |s: &str| for_platform(&Platform::parse(s).unwrap()).map(|a| a.qemu);
        assert_eq!(arch("linux/arm64"), Some("aarch64"));
        assert_eq!(arch("linux/arm/v5"), Some("arm"));
        assert_eq!(arch("linux/arm/v6"), Some("arm"));
        assert_eq!(arch("linux/s390x"), Some("s390x"));
        assert_eq!(arch("linux/sparc64"), None);
    }

    #[test]
    fn amd64_hosts_run_386_natively() {
        let amd64 = Platform::new("linux", "amd64", "");
        let arm64 = Platform::new("linux", "arm64", "");
        let a = |n: &str| lookup(n).unwrap();
        assert!(a("386").is_native(&amd64));
        assert!(a("amd64").is_native(&amd64));
        assert!(!a("arm64").is_native(&amd64));
        assert!(a("arm64").is_native(&arm64));
        assert!(!a("amd64").is_native(&arm64));
    }
}
