//! Copyable pull commands for docker, podman, nerdctl and skopeo, by tag and by digest, using the
//! device's registry host.

/// A container tool people pull with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Docker.
    Docker,
    /// Podman.
    Podman,
    /// containerd's nerdctl.
    Nerdctl,
    /// skopeo (copies into a local OCI archive, since it has no image store of its own).
    Skopeo,
}

impl Tool {
    /// Every tool, in menu order.
    pub const ALL: [Tool; 4] = [Tool::Docker, Tool::Podman, Tool::Nerdctl, Tool::Skopeo];

    /// Name shown in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Docker => "docker",
            Tool::Podman => "podman",
            Tool::Nerdctl => "nerdctl",
            Tool::Skopeo => "skopeo",
        }
    }
}

/// One ready-to-copy command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullCommand {
    /// The tool.
    pub tool: Tool,
    /// True for the by-digest form (immutable), false for by-tag.
    pub by_digest: bool,
    /// The command line.
    pub command: String,
}

/// The reference as a client writes it: `host/name:tag` or `host/name@digest`.
pub fn image_reference(registry_host: &str, name: &str, tag_or_digest: TagOrDigest<'_>) -> String {
    let host = registry_host.trim().trim_end_matches('/');
    match tag_or_digest {
        TagOrDigest::Tag(tag) => format!("{host}/{name}:{tag}"),
        TagOrDigest::Digest(digest) => format!("{host}/{name}@{digest}"),
    }
}

/// Which form of reference to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrDigest<'a> {
    /// By tag (follows the tag if it moves).
    Tag(&'a str),
    /// By digest (always the same content).
    Digest(&'a str),
}

/// One command for one tool and form.
pub fn pull_command(tool: Tool, registry_host: &str, name: &str, which: TagOrDigest<'_>) -> String {
    let reference = quote(&image_reference(registry_host, name, which));
    match tool {
        Tool::Docker => format!("docker pull {reference}"),
        Tool::Podman => format!("podman pull {reference}"),
        Tool::Nerdctl => format!("nerdctl pull {reference}"),
        Tool::Skopeo => {
            let base = name.rsplit('/').next().unwrap_or(name);
            let suffix = match which {
                TagOrDigest::Tag(tag) => tag.to_owned(),
                TagOrDigest::Digest(digest) => {
                    crate::format::short_digest(digest).replace(':', "-")
                }
            };
            let source = quote(&format!(
                "docker://{}",
                image_reference(registry_host, name, which)
            ));
            let archive = quote(&format!("oci-archive:{base}-{suffix}.tar"));
            format!("skopeo copy {source} {archive}")
        }
    }
}

/// Every command for an image: each tool by tag, then by digest when the digest is known.
pub fn pull_commands(
    registry_host: &str,
    name: &str,
    tag: &str,
    digest: Option<&str>,
) -> Vec<PullCommand> {
    let mut out = Vec::with_capacity(8);
    for by_digest in [false, true] {
        let which = match (by_digest, digest) {
            (false, _) => TagOrDigest::Tag(tag),
            (true, Some(d)) => TagOrDigest::Digest(d),
            (true, None) => continue,
        };
        for tool in Tool::ALL {
            out.push(PullCommand {
                tool,
                by_digest,
                command: pull_command(tool, registry_host, name, which),
            });
        }
    }
    out
}

/// Single-quotes a shell word unless it is made only of characters every shell leaves alone.
/// Listed names can break the grammar, so a pasted command must never run something else.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn docker_like_tools_pull_by_tag_and_digest() {
        let cmds = pull_commands("lem.example:5000", "acme/app", "1.2", Some(DIGEST));
        assert_eq!(cmds.len(), 8);
        assert_eq!(cmds[0].command, "docker pull lem.example:5000/acme/app:1.2");
        assert_eq!(cmds[1].command, "podman pull lem.example:5000/acme/app:1.2");
        assert_eq!(
            cmds[2].command,
            "nerdctl pull lem.example:5000/acme/app:1.2"
        );
        assert_eq!(
            cmds[4].command,
            format!("docker pull lem.example:5000/acme/app@{DIGEST}")
        );
        assert!(cmds[4].by_digest);
    }

    #[test]
    fn skopeo_copies_into_a_named_archive() {
        assert_eq!(
            pull_command(
                Tool::Skopeo,
                "lem.example:5000",
                "acme/app",
                TagOrDigest::Tag("1.2")
            ),
            "skopeo copy docker://lem.example:5000/acme/app:1.2 oci-archive:app-1.2.tar"
        );
        assert_eq!(
            pull_command(Tool::Skopeo, "h", "app", TagOrDigest::Digest(DIGEST)),
            format!("skopeo copy docker://h/app@{DIGEST} oci-archive:app-0123456789ab.tar")
        );
    }

    #[test]
    fn without_a_digest_only_tag_commands_exist() {
        assert_eq!(pull_commands("h", "a", "t", None).len(), 4);
    }

    #[test]
    fn odd_names_are_quoted_so_a_paste_cannot_run_anything_else() {
        assert_eq!(quote("h/a:b"), "h/a:b");
        assert_eq!(quote("h/a b;rm -rf ~"), "'h/a b;rm -rf ~'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(
            pull_command(Tool::Docker, "[fd00::5]:5000", "app", TagOrDigest::Tag("1")),
            "docker pull '[fd00::5]:5000/app:1'"
        );
    }

    #[test]
    fn a_trailing_slash_on_the_host_is_ignored() {
        assert_eq!(
            image_reference("h:5000/", "a", TagOrDigest::Tag("t")),
            "h:5000/a:t"
        );
    }
}
