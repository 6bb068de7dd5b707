//! The step executor: Docker's classic builder (moby `builder/dockerfile`) over the
//! [`Backend`] the engine implements.
//!
//! Each instruction yields an image: `RUN` and `COPY`/`ADD` a new layer, the others a new
//! config over the same layers (history marked `#(nop)`, as Docker writes it). Before
//! a step runs, the backend is asked for an image with the same parent, history line and
//! config (the classic builder's cache); `--no-cache` skips that question.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use hako_image::import::apply_changes;
use hako_image::manifest::ContainerConfig;

use crate::context::{self, Owner};
use crate::dockerfile::{self, Line};
use crate::error::{BuildError, Result};
use crate::expand::{self, Vars};
use crate::instruction::{self, Stage};

/// An image as the builder sees it: ID and config.
#[derive(Debug, Clone)]
pub struct Step {
    /// `sha256:...`.
    pub id: String,
    /// Its container config.
    pub config: ContainerConfig,
}

/// A `RUN` for the backend: the command in a container of `parent`, committed with
/// `config` and `created_by`.
#[derive(Debug, Clone)]
pub struct RunStep {
    /// The command (shell form already wrapped in the shell).
    pub cmd: Vec<String>,
    /// The process environment: the image's plus the build arguments.
    pub env: Vec<String>,
    /// The config the resulting image carries.
    pub config: ContainerConfig,
    /// History line.
    pub created_by: String,
}

/// Where the build's text goes (`{"stream": ...}` messages).
pub type Output = dyn Fn(String) + Send + Sync;

/// What the engine does for the builder.
pub trait Backend: Send + Sync {
    /// The image `name` (pulled when it is not here).
    fn image<'a>(&'a self, name: &'a str, out: &'a Output) -> BoxFuture<'a, Result<Step>>;
    /// Runs a step's command and commits its container.
    fn run<'a>(
        &'a self,
        parent: &'a Step,
        run: RunStep,
        out: &'a Output,
    ) -> BoxFuture<'a, Result<String>>;
    /// Adds the layer tar at `layer` (paths from `/`) on top of `parent` (scratch: none).
    fn add<'a>(
        &'a self,
        parent: Option<&'a Step>,
        layer: &'a Path,
        config: ContainerConfig,
        created_by: String,
        out: &'a Output,
    ) -> BoxFuture<'a, Result<String>>;
    /// A new image with `parent`'s layers and `config`.
    fn config<'a>(
        &'a self,
        parent: Option<&'a Step>,
        config: ContainerConfig,
        created_by: String,
    ) -> BoxFuture<'a, Result<String>>;
    /// An image built before from `parent` by the same step, if any.
    fn cached<'a>(
        &'a self,
        parent: Option<&'a Step>,
        config: &'a ContainerConfig,
        created_by: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>>>;
    /// Writes the files of `image` into the new directory `dir` (`COPY --from`).
    fn export<'a>(&'a self, image: &'a Step, dir: &'a Path) -> BoxFuture<'a, Result<()>>;
    /// Tags `id` as `reference`; returns the reference as Docker prints it.
    fn tag<'a>(&'a self, id: &'a str, reference: &'a str) -> BoxFuture<'a, Result<String>>;
}

/// What the build request asks for.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The Dockerfile's path in the context.
    pub dockerfile: String,
    /// `-t`.
    pub tags: Vec<String>,
    /// `--build-arg` (a `None` value takes the variable from the client's environment,
    /// which the CLI already resolved).
    pub build_args: BTreeMap<String, Option<String>>,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--target`.
    pub target: Option<String>,
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The final image ID.
    pub id: String,
    /// The references it was tagged with, as printed.
    pub tagged: Vec<String>,
}

/// The default `SHELL`.
const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Builds the Dockerfile in the context at `root`, with `scratch` as a directory for the
/// layer tars.
pub async fn build(
    backend: &dyn Backend,
    root: &Path,
    scratch: &Path,
    opts: &BuildOptions,
    out: &Output,
) -> Result<Built> {
    let name = if opts.dockerfile.is_empty() {
        "Dockerfile"
    } else {
        &opts.dockerfile
    };
    let text = std::fs::read_to_string(root.join(name.trim_start_matches('/')))
        .map_err(|_| BuildError::Invalid(format!("Cannot locate specified Dockerfile: {name}")))?;
    let ignore = context::Ignore::load(root)?;
    ignore.apply(root, &[name, ".dockerignore"])?;
    let df = dockerfile::parse(&text)?;
    let plan = instruction::plan(&df)?;
    let mut stages = plan.stages;
    if let Some(t) = opts.target.as_deref().filter(|t| !t.is_empty()) {
        let t = t.to_lowercase();
        let Some(i) = stages
            .iter()
            .position(|s| s.name.as_deref() == Some(t.as_str()))
        else {
            return Err(BuildError::Invalid(format!(
                "failed to reach build target {t} in Dockerfile"
            )));
        };
        stages.truncate(i + 1);
    }
    let total = stages.iter().map(|s| s.lines.len() + 1).sum::<usize>() + plan.meta_args.len();
    let mut meta = Vars::new();
    let mut n = 0;
    for line in &plan.meta_args {
        n += 1;
        out(format!("Step {n}/{total} : {}\n", line.original));
        let vars = meta.clone();
        declare_arg(&mut meta, line, &vars, opts, df.escape)?;
    }
    let mut done: Vec<(Option<String>, Step)> = Vec::new();
    let mut last = None;
    let mut used_args = std::collections::BTreeSet::new();
    for stage in &stages {
        let mut b = StageBuild {
            backend,
            root,
            scratch,
            opts,
            out,
            escape: df.escape,
            image: None,
            config: ContainerConfig::default(),
            args: Vars::new(),
            no_cache: opts.no_cache,
        };
        n += 1;
        out(format!("Step {n}/{total} : {}\n", stage.from.original));
        b.from(stage, &meta, &done).await?;
        for line in &stage.lines {
            n += 1;
            out(format!("Step {n}/{total} : {}\n", line.original));
            b.step(line, &done).await?;
        }
        used_args.extend(b.args.keys().cloned());
        let step = b.finish().await?;
        last = Some(step.clone());
        done.push((stage.name.clone(), step));
    }
    let unused: Vec<&String> = opts
        .build_args
        .keys()
        .filter(|k| {
            !used_args.contains(*k)
                && !meta.contains_key(*k)
                && !PREDEFINED_ARGS.contains(&k.as_str())
        })
        .collect();
    if !unused.is_empty() {
        let list: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
        out(format!(
            "[Warning] One or more build-args [{}] were not consumed\n",
            list.join(" ")
        ));
    }
    let Some(step) = last else {
        return Err(BuildError::Invalid("file with no instructions".into()));
    };
    let mut tagged = Vec::new();
    for t in &opts.tags {
        tagged.push(backend.tag(&step.id, t).await?);
    }
    Ok(Built {
        id: step.id,
        tagged,
    })
}

/// Build arguments every Dockerfile may use without declaring them.
const PREDEFINED_ARGS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn declare_arg(
    args: &mut Vars,
    line: &Line,
    vars: &Vars,
    opts: &BuildOptions,
    escape: char,
) -> Result<()> {
    let words = expand::words(&line.rest, vars, escape)?;
    if words.is_empty() {
        return Err(BuildError::parse(
            line.line,
            "ARG requires at least one argument",
        ));
    }
    for w in words {
        let (k, default) = match w.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (w, None),
        };
        let value = match opts.build_args.get(&k) {
            Some(Some(v)) => Some(v.clone()),
            _ => default,
        };
        match value {
            Some(v) => {
                args.insert(k, v);
            }
            None => {
                args.remove(&k);
            }
        }
    }
    Ok(())
}

struct StageBuild<'a> {
    backend: &'a dyn Backend,
    root: &'a Path,
    scratch: &'a Path,
    opts: &'a BuildOptions,
    out: &'a Output,
    escape: char,
    image: Option<Step>,
    config: ContainerConfig,
    args: Vars,
    no_cache: bool,
}

fn env_vars(config: &ContainerConfig) -> Vars {
    config
        .env
        .iter()
        .flatten()
        .filter_map(|e| e.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex)
}

impl StageBuild<'_> {
    /// ENV wins over ARG, as in Docker.
    fn vars(&self) -> Vars {
        let mut v = self.args.clone();
        v.extend(env_vars(&self.config));
        v
    }

    async fn from(
        &mut self,
        stage: &Stage,
        meta: &Vars,
        done: &[(Option<String>, Step)],
    ) -> Result<()> {
        let base = expand::word(&stage.base, meta, self.escape)?;
        if let Some((flag, _)) = stage.from.flags.iter().find(|(f, _)| f != "platform") {
            return Err(BuildError::parse(
                stage.from.line,
                format!("unknown flag: {flag}"),
            ));
        }
        let lower = base.to_lowercase();
        let image = if let Some((_, s)) = done
            .iter()
            .rev()
            .find(|(n, _)| n.as_deref() == Some(lower.as_str()))
        {
            Some(s.clone())
        } else if lower == "scratch" {
            None
        } else {
            Some(self.backend.image(&base, self.out).await?)
        };
        if let Some(img) = &image {
            self.config = img.config.clone();
            (self.out)(format!(" ---> {}\n", short(&img.id)));
        }
        self.image = image;
        Ok(())
    }

    async fn finish(mut self) -> Result<Step> {
        if !self.opts.labels.is_empty() {
            let labels = self.config.labels.get_or_insert_with(BTreeMap::new);
            labels.extend(self.opts.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            let created_by = format!("/bin/sh -c #(nop)  LABEL {}", label_text(&self.opts.labels));
            self.commit_config(created_by).await?;
        }
        match self.image {
            Some(s) => Ok(s),
            None => {
                let id = self
                    .backend
                    .config(None, self.config.clone(), "/bin/sh -c #(nop) ".into())
                    .await?;
                Ok(Step {
                    id,
                    config: self.config,
                })
            }
        }
    }

    async fn commit_config(&mut self, created_by: String) -> Result<()> {
        let id = match self.cache(&created_by).await? {
            Some(id) => id,
            None => {
                self.backend
                    .config(self.image.as_ref(), self.config.clone(), created_by)
                    .await?
            }
        };
        self.advance(id);
        Ok(())
    }

    async fn cache(&self, created_by: &str) -> Result<Option<String>> {
        if self.no_cache {
            return Ok(None);
        }
        let hit = self
            .backend
            .cached(self.image.as_ref(), &self.config, created_by)
            .await?;
        if hit.is_some() {
            (self.out)(" ---> Using cache\n".to_owned());
        }
        Ok(hit)
    }

    fn advance(&mut self, id: String) {
        (self.out)(format!(" ---> {}\n", short(&id)));
        self.image = Some(Step {
            id,
            config: self.config.clone(),
        });
    }

    /// The history prefix of a RUN with build arguments: `|N K=V ... /bin/sh -c ...`.
    fn arg_prefix(&self) -> String {
        let used: Vec<String> = self
            .args
            .iter()
            .filter(|(k, _)| self.opts.build_args.contains_key(*k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if used.is_empty() {
            String::new()
        } else {
            format!("|{} {} ", used.len(), used.join(" "))
        }
    }

    fn shell(&self) -> Vec<String> {
        match &self.config.shell {
            Some(s) if !s.is_empty() => s.clone(),
            _ => DEFAULT_SHELL.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    async fn step(&mut self, line: &Line, done: &[(Option<String>, Step)]) -> Result<()> {
        let nop = |text: &str| format!("/bin/sh -c #(nop)  {text}");
        match line.keyword.as_str() {
            "ARG" => {
                let vars = self.vars();
                declare_arg(&mut self.args, line, &vars, self.opts, self.escape)?;
                // Docker records ARG as a config-only step.
                self.commit_config(nop(&format!("ARG {}", line.rest))).await
            }
            "ENV" => {
                let words = expand::words(&line.rest, &self.vars(), self.escape)?;
                let pairs = key_values("ENV", &words, line.line)?;
                let env = self.config.env.get_or_insert_with(Vec::new);
                let mut text = Vec::new();
                for (k, v) in pairs {
                    env.retain(|e| e.split_once('=').map_or(e.as_str(), |(key, _)| key) != k);
                    env.push(format!("{k}={v}"));
                    text.push(format!("{k}={v}"));
                }
                self.commit_config(nop(&format!("ENV {}", text.join(" "))))
                    .await
            }
            "LABEL" => {
                let words = expand::words(&line.rest, &self.vars(), self.escape)?;
                let pairs: BTreeMap<String, String> = key_values("LABEL", &words, line.line)?
                    .into_iter()
                    .collect();
                self.config
                    .labels
                    .get_or_insert_with(BTreeMap::new)
                    .extend(pairs.clone());
                self.commit_config(nop(&format!("LABEL {}", label_text(&pairs))))
                    .await
            }
            "MAINTAINER" => {
                // Docker keeps the author in the image config, which the backend does not
                // carry separately; the history line keeps it.
                self.commit_config(nop(&format!("MAINTAINER {}", line.rest)))
                    .await
            }
            "SHELL" => {
                let Some(shell) = dockerfile::json_form(&line.rest).filter(|s| !s.is_empty())
                else {
                    return Err(BuildError::parse(
                        line.line,
                        "SHELL requires the arguments to be in JSON form",
                    ));
                };
                self.config.shell = Some(shell.clone());
                self.commit_config(nop(&format!("SHELL {}", format_args!("{shell:?}"))))
                    .await
            }
            "CMD" | "ENTRYPOINT" | "HEALTHCHECK" | "ONBUILD" => {
                if line.keyword == "ONBUILD" {
                    return Err(BuildError::NotImplemented("ONBUILD".into()));
                }
                let change = format!("{} {}", line.keyword, line.rest);
                apply_changes(&mut self.config, std::slice::from_ref(&change))
                    .map_err(|e| BuildError::parse(line.line, e.to_string()))?;
                let text = match line.keyword.as_str() {
                    "CMD" => format!("CMD {:?}", self.config.cmd.clone().unwrap_or_default()),
                    "ENTRYPOINT" => format!(
                        "ENTRYPOINT {:?}",
                        self.config.entrypoint.clone().unwrap_or_default()
                    ),
                    _ => format!("HEALTHCHECK {}", line.rest),
                };
                self.commit_config(nop(&text)).await
            }
            "WORKDIR" | "USER" | "STOPSIGNAL" | "EXPOSE" | "VOLUME" => {
                // The change parser expands from the config's Env: ARGs join it for the
                // call and leave again (these instructions never change Env).
                let env = self.config.env.clone();
                let mut with_args: Vec<String> = self
                    .args
                    .iter()
                    .filter(|(k, _)| !env_vars(&self.config).contains_key(*k))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                with_args.extend(env.clone().unwrap_or_default());
                self.config.env = Some(with_args);
                let change = format!("{} {}", line.keyword, line.rest);
                let r = apply_changes(&mut self.config, std::slice::from_ref(&change));
                self.config.env = env;
                r.map_err(|e| BuildError::parse(line.line, e.to_string()))?;
                let text = match line.keyword.as_str() {
                    "WORKDIR" => format!(
                        "WORKDIR {}",
                        self.config.working_dir.clone().unwrap_or_default()
                    ),
                    _ => format!(
                        "{} {}",
                        line.keyword,
                        expand::word(&line.rest, &self.vars(), self.escape)?
                    ),
                };
                self.commit_config(nop(&text)).await
            }
            "RUN" => self.run(line).await,
            "COPY" | "ADD" => self.copy(line, done).await,
            other => Err(BuildError::UnknownInstruction {
                line: line.line,
                name: other.to_owned(),
            }),
        }
    }

    async fn run(&mut self, line: &Line) -> Result<()> {
        if let Some((flag, _)) = line.flags.first() {
            return Err(BuildError::NotImplemented(format!("RUN --{flag}")));
        }
        let Some(parent) = self.image.clone() else {
            return Err(BuildError::Invalid(
                "RUN needs a base image with a shell: FROM scratch has none".into(),
            ));
        };
        let cmd = match dockerfile::json_form(&line.rest) {
            Some(argv) => argv,
            None => {
                let mut c = self.shell();
                c.push(line.rest.clone());
                c
            }
        };
        let prefix = self.arg_prefix();
        let created_by = format!("{prefix}{}", cmd.join(" "));
        if let Some(id) = self.cache(&created_by).await? {
            self.advance(id);
            return Ok(());
        }
        let mut env: Vec<String> = self
            .args
            .iter()
            .filter(|(k, _)| !env_vars(&self.config).contains_key(*k))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        env.extend(self.config.env.clone().unwrap_or_default());
        let id = self
            .backend
            .run(
                &parent,
                RunStep {
                    cmd,
                    env,
                    config: self.config.clone(),
                    created_by,
                },
                self.out,
            )
            .await?;
        self.advance(id);
        Ok(())
    }

    async fn copy(&mut self, line: &Line, done: &[(Option<String>, Step)]) -> Result<()> {
        let add = line.keyword == "ADD";
        let mut owner = Owner::default();
        let mut from = None;
        for (flag, value) in &line.flags {
            match flag.as_str() {
                "chown" => owner = Owner::parse(&expand::word(value, &self.vars(), self.escape)?)?,
                "from" if !add => from = Some(value.to_lowercase()),
                f @ ("chmod" | "link" | "parents" | "exclude" | "checksum" | "keep-git-dir") => {
                    return Err(BuildError::NotImplemented(format!(
                        "{} --{f}",
                        line.keyword
                    )));
                }
                f => return Err(BuildError::parse(line.line, format!("unknown flag: {f}"))),
            }
        }
        let mut words = match dockerfile::json_form(&line.rest) {
            Some(w) => w
                .iter()
                .map(|w| expand::word(w, &self.vars(), self.escape))
                .collect::<Result<Vec<_>>>()?,
            None => expand::words(&line.rest, &self.vars(), self.escape)?,
        };
        if words.len() < 2 {
            return Err(BuildError::parse(
                line.line,
                format!("{} requires at least two arguments", line.keyword),
            ));
        }
        let dest_word = words.pop().unwrap_or_default();
        if add && words.iter().any(|w| w.contains("://")) {
            return Err(BuildError::NotImplemented("ADD from a URL".into()));
        }
        let workdir = self
            .config
            .working_dir
            .clone()
            .unwrap_or_else(|| "/".into());
        let mut dest = if dest_word.starts_with('/') {
            dest_word.clone()
        } else {
            format!("{}/{}", workdir.trim_end_matches('/'), dest_word)
        };
        if (dest_word.ends_with('/') || dest_word == "." || dest_word.ends_with("/."))
            && !dest.ends_with('/')
        {
            dest = format!("{}/", dest.trim_end_matches('.').trim_end_matches('/'));
        }
        // COPY --from: the sources come from an earlier stage's (or an image's) files,
        // which the backend exports into a directory.
        let (src_root, from_dir): (PathBuf, Option<PathBuf>) = match &from {
            None => (self.root.to_owned(), None),
            Some(name) => {
                let step = match done
                    .iter()
                    .rev()
                    .find(|(n, _)| n.as_deref() == Some(name.as_str()))
                {
                    Some((_, s)) => s.clone(),
                    None => match name.parse::<usize>().ok().and_then(|i| done.get(i)) {
                        Some((_, s)) => s.clone(),
                        None => self.backend.image(name, self.out).await?,
                    },
                };
                let dir = self.scratch.join(format!("from-{}", rand_suffix()));
                if let Err(e) = self.backend.export(&step, &dir).await {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e);
                }
                (dir.clone(), Some(dir))
            }
        };
        let srcs = context::resolve_sources(&src_root, &words);
        let tar_path = self.scratch.join(format!("layer-{}.tar", rand_suffix()));
        let result = match srcs {
            Ok(srcs) => {
                let (root, dest2, tp) = (src_root.clone(), dest.clone(), tar_path.clone());
                context::layer_tar(&root, &srcs, &dest2, owner, add, &tp)
            }
            Err(e) => Err(e),
        };
        if let Some(d) = &from_dir {
            let _ = std::fs::remove_dir_all(d);
        }
        let layer = result?;
        let created_by = format!(
            "/bin/sh -c #(nop) {} {} in {} ",
            line.keyword, layer.digest, dest
        );
        let r = async {
            if let Some(id) = self.cache(&created_by).await? {
                return Ok(id);
            }
            self.backend
                .add(
                    self.image.as_ref(),
                    &layer.path,
                    self.config.clone(),
                    created_by.clone(),
                    self.out,
                )
                .await
        }
        .await;
        let _ = std::fs::remove_file(&layer.path);
        self.advance(r?);
        Ok(())
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn label_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn key_values(instruction: &str, words: &[String], line: usize) -> Result<Vec<(String, String)>> {
    let Some(first) = words.first() else {
        return Err(BuildError::parse(
            line,
            format!("{instruction} requires at least one argument"),
        ));
    };
    if !first.contains('=') {
        if words.len() < 2 {
            return Err(BuildError::parse(
                line,
                format!("{instruction} must have two arguments"),
            ));
        }
        return Ok(vec![(first.clone(), words[1..].join(" "))]);
    }
    words
        .iter()
        .map(|w| match w.split_once('=') {
            Some(("", _)) => Err(BuildError::parse(
                line,
                format!("{instruction} names can not be blank"),
            )),
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => Err(BuildError::parse(
                line,
                format!("Syntax error - can't find = in {w:?}. Must be of the form: name=value"),
            )),
        })
        .collect()
}
