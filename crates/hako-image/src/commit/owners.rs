//! Owners of committed files under `--userns-remap`. The upper directory holds host IDs
//! (the container's root is, say, 100000 on the host); the layer must carry the IDs the
//! container saw, as Docker's commit writes them, or the image would hand its files to
//! uid 100000 in every other container.

/// One line of an ID map: `size` IDs from `container` inside are `host`... outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// First ID inside the container's user namespace.
    pub container: u32,
    /// First ID on the host.
    pub host: u32,
    /// How many IDs.
    pub size: u32,
}

/// How a remapped container's host IDs read inside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerMap {
    /// User IDs.
    pub uids: Vec<IdRange>,
    /// Group IDs.
    pub gids: Vec<IdRange>,
}

impl OwnerMap {
    /// The user ID inside for host uid `host`. An ID outside the maps is kept: it is an
    /// image file copied up as it was (cp out of a remapped container does the same).
    pub fn uid(&self, host: u32) -> u32 {
        inside(&self.uids, host)
    }

    /// The group ID inside for host gid `host`.
    pub fn gid(&self, host: u32) -> u32 {
        inside(&self.gids, host)
    }
}

fn inside(ranges: &[IdRange], host: u32) -> u32 {
    ranges
        .iter()
        .find_map(|r| {
            let off = host.checked_sub(r.host)?;
            (off < r.size).then(|| r.container + off)
        })
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ids_read_as_the_container_sees_them() {
        let m = OwnerMap {
            uids: vec![
                IdRange {
                    container: 0,
                    host: 100_000,
                    size: 10,
                },
                IdRange {
                    container: 10,
                    host: 200_000,
                    size: 65526,
                },
            ],
            gids: vec![IdRange {
                container: 0,
                host: 100_000,
                size: 65536,
            }],
        };
        assert_eq!(m.uid(100_000), 0);
        assert_eq!(m.uid(100_009), 9);
        assert_eq!(m.uid(200_000), 10);
        assert_eq!(m.gid(101_000), 1000);
        assert_eq!(m.uid(0), 0, "outside the maps: kept");
        assert_eq!(m.gid(99_999), 99_999);
    }
}
