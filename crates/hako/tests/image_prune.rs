//! `hako image prune` / `docker image prune` and `system df`: dangling images go with their
//! blobs and snapshots (the store shrinks on disk), images a container uses stay, `-a`
//! takes unused tagged images too; `/system/df` reports the sizes the other verbs report.

mod common;

use std::path::Path;

use common::Daemon;

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{what}-{}-{nanos:x}", std::process::id())
}

/// Bytes of regular files under `dir` (each inode once).
fn bytes_under(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(md) = e.path().symlink_metadata() else {
                continue;
            };
            if md.is_dir() {
                stack.push(e.path());
            } else if md.is_file() && seen.insert((md.dev(), md.ino())) {
                total += md.len();
            }
        }
    }
    total
}

fn count_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

/// Commits a container that wrote `bytes` of data; returns the (untagged) image ID.
fn dangling_image(d: &Daemon, bytes: usize) -> String {
    let name = unique("prune-src");
    let script = format!("head -c {bytes} /dev/urandom > /blob.bin");
    d.hako(&["run", "--name", &name, "busybox", "sh", "-c", &script])
        .ok();
    let id = d.hako(&["commit", &name]).ok().stdout.trim().to_owned();
    d.hako(&["rm", &name]).ok();
    id
}

#[test]
fn prune_removes_dangling_images_and_their_data_but_keeps_used_ones() {
    let d = Daemon::start();
    d.import_busybox();
    let image_root = d.image_root();
    let blobs = image_root.join("content/blobs/sha256");
    let snapshots = image_root.join("snapshots");

    let doomed = dangling_image(&d, 2_000_000);
    let kept = dangling_image(&d, 300_000);
    // A stopped container keeps `kept` in use.
    let user = unique("prune-user");
    d.hako(&["create", "--name", &user, &kept, "true"]).ok();

    let before_bytes = bytes_under(&image_root);
    let before_blobs = count_entries(&blobs);
    let before_snaps = count_entries(&snapshots);
    let prune = d.hako(&["image", "prune", "-f"]).ok();
    let out = &prune.stdout;
    assert!(out.starts_with("Deleted Images:\n"), "{out}");
    assert!(out.contains(&format!("deleted: {doomed}\n")), "{out}");
    assert!(!out.contains(&kept), "{out}");
    let reclaimed = out
        .lines()
        .find_map(|l| l.strip_prefix("Total reclaimed space: "))
        .unwrap_or_else(|| panic!("no total in {out}"));
    assert!(reclaimed.ends_with("MB"), "{reclaimed}");

    let all = d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout;
    assert!(!all.contains(&doomed), "{all}");
    assert!(all.contains(&kept), "{all}");
    // Its layer blob, config, manifest and snapshot are gone; the disk shows it.
    let after_bytes = bytes_under(&image_root);
    assert!(
        before_bytes - after_bytes >= 2_000_000,
        "{before_bytes} -> {after_bytes}"
    );
    assert_eq!(count_entries(&blobs), before_blobs - 3);
    assert_eq!(count_entries(&snapshots), before_snaps - 1);
    // The kept image still runs.
    let run = d
        .hako(&["run", "--rm", &kept, "wc", "-c", "/blob.bin"])
        .ok();
    assert!(run.stdout.contains("300000"), "{}", run.stdout);

    // Nothing dangling left: an empty report.
    let again = d.hako(&["image", "prune", "-f"]).ok();
    assert_eq!(again.stdout, "Total reclaimed space: 0B\n");

    // -a: unused tagged images too (busybox is the base of `kept` but has no container).
    let extra = unique("prune-tagged");
    d.hako(&["tag", "busybox", &format!("{extra}:x")]).ok();
    let all = d.hako(&["image", "prune", "-a", "-f"]).ok();
    assert!(
        all.stdout.contains(&format!("untagged: {extra}:x")),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout.contains("untagged: busybox:latest"),
        "{}",
        all.stdout
    );
    let left = d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout;
    assert_eq!(left.trim(), kept);
    let run = d.hako(&["start", "-a", &user]).ok();
    assert_eq!(run.code, 0);

    // The confirmation prompt: anything but y aborts.
    let prompt = d.hako_stdin(&["image", "prune"], b"n\n").ok();
    assert_eq!(
        prompt.stdout,
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    );
    let bad = d.hako(&["image", "prune", "-f", "--filter", "bogus=1"]);
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("bogus"), "{}", bad.stderr);
    d.assert_clean();
}

#[test]
fn system_df_reports_what_is_on_disk() {
    let d = Daemon::start();
    d.import_busybox();
    let vol = unique("df-vol");
    let name = unique("df-ctr");
    d.hako(&[
        "run",
        "--name",
        &name,
        "-v",
        &format!("{vol}:/data"),
        "busybox",
        "sh",
        "-c",
        "head -c 500000 /dev/urandom > /data/v.bin; head -c 700000 /dev/urandom > /rw.bin",
    ])
    .ok();
    let r = common::http::request(&d.socket, "GET", "/system/df", None).expect("df");
    assert_eq!(r.status, 200, "{}", r.text());
    let df = r.json();
    let busybox_size: i64 = d
        .hako(&["image", "inspect", "--format", "{{.Size}}", "busybox"])
        .ok()
        .stdout
        .trim()
        .parse()
        .expect("size");
    assert_eq!(df["LayersSize"].as_i64(), Some(busybox_size));
    let images = df["Images"].as_array().expect("images");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["Size"].as_i64(), Some(busybox_size));
    assert_eq!(images[0]["SharedSize"].as_i64(), Some(0));
    assert_eq!(images[0]["Containers"].as_i64(), Some(1));
    let containers = df["Containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1);
    let rw = containers[0]["SizeRw"].as_i64().expect("SizeRw");
    assert!((700_000..800_000).contains(&rw), "{rw}");
    let volumes = df["Volumes"].as_array().expect("volumes");
    let v = volumes
        .iter()
        .find(|v| v["Name"] == vol.as_str())
        .expect("volume");
    let vsize = v["UsageData"]["Size"].as_i64().expect("size");
    assert!((500_000..600_000).contains(&vsize), "{vsize}");
    assert_eq!(v["UsageData"]["RefCount"].as_i64(), Some(1));
    assert_eq!(df["BuildCache"], serde_json::json!([]));

    // The table: Docker's rows and columns.
    let table = d.hako(&["system", "df"]).ok();
    let lines: Vec<Vec<&str>> = table
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    assert_eq!(&lines[1][..3], ["Images", "1", "1"]);
    assert_eq!(&lines[2][..3], ["Containers", "1", "0"]);
    assert_eq!(&lines[3][..4], ["Local", "Volumes", "1", "1"]);
    assert_eq!(&lines[4][..3], ["Build", "Cache", "0"]);
    let verbose = d.hako(&["system", "df", "-v"]).ok();
    assert!(
        verbose.stdout.starts_with("Images space usage:"),
        "{}",
        verbose.stdout
    );
    assert!(verbose.stdout.contains(&vol), "{}", verbose.stdout);

    if let Some(docker) = d.docker(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.TotalCount}} {{.Active}}",
    ]) {
        let docker = docker.ok();
        assert_eq!(
            docker.stdout,
            "Images 1 1\nContainers 1 0\nLocal Volumes 1 1\nBuild Cache 0 0\n"
        );
        // The whole default table, computed by docker's own client from our answer.
        let docker_table = d.docker(&["system", "df"]).expect("docker").ok();
        assert_eq!(table.stdout, docker_table.stdout);
    }
    d.hako(&["rm", &name]).ok();
    d.hako(&["volume", "rm", &vol]).ok();
    d.assert_clean();
}

#[test]
fn docker_cli_prunes_dangling_images() {
    let d = Daemon::start();
    d.import_busybox();
    let doomed = dangling_image(&d, 100_000);
    // `images` filters see it as dangling, busybox as not.
    let dangling = d
        .hako(&["images", "-q", "--no-trunc", "--filter", "dangling=true"])
        .ok();
    assert_eq!(dangling.stdout.trim(), doomed);
    let tagged = d
        .hako(&["images", "-q", "--no-trunc", "--filter", "dangling=false"])
        .ok();
    assert!(!tagged.stdout.contains(&doomed), "{}", tagged.stdout);
    assert_eq!(tagged.stdout.lines().count(), 1, "{}", tagged.stdout);
    // Filters hold it back: made less than a day ago, and without that label.
    for filter in ["until=24h", "label=keep-me"] {
        let held = d.hako(&["image", "prune", "-f", "--filter", filter]).ok();
        assert_eq!(held.stdout, "Total reclaimed space: 0B\n", "{filter}");
    }
    let still = d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout;
    assert!(still.contains(&doomed), "{still}");
    let Some(prune) = d.docker(&["image", "prune", "-f"]) else {
        eprintln!("no docker CLI: skipped");
        return;
    };
    let prune = prune.ok();
    assert!(
        prune.stdout.contains(&format!("deleted: {doomed}")),
        "{}",
        prune.stdout
    );
    assert!(
        prune.stdout.contains("Total reclaimed space: "),
        "{}",
        prune.stdout
    );
    let left = d.hako(&["images", "-aq", "--no-trunc"]).ok().stdout;
    assert!(!left.contains(&doomed), "{left}");
    assert!(!left.trim().is_empty(), "busybox is tagged and stays");
    d.assert_clean();
}
