//! Scoring corrections the way the grammatical-error-correction field does
//! (ERRANT, M2): both the reference and the model's corrected sentence are
//! aligned to the learner's sentence token by token, the differences become
//! edits (a span of source tokens and what replaces it), and the model's
//! edits are matched against the reference's. How a model chunked its
//! corrections ("un mesa" → "una mesa" or "un" → "una") does not matter;
//! which tokens changed, and into what, does.

use serde::Serialize;

/// Words and punctuation marks, as ERRANT tokenizes (spaces dropped).
pub fn tokens(text: &str) -> Vec<String> {
    token_spans(text)
        .into_iter()
        .map(|r| text[r].to_string())
        .collect()
}

/// Where each token of `text` is, as byte ranges.
pub fn token_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut word: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() || c == '\'' || c == '’' || c == '-' {
            word.get_or_insert(i);
            continue;
        }
        if let Some(start) = word.take() {
            out.push(start..i);
        }
        if !c.is_whitespace() {
            out.push(i..i + c.len_utf8());
        }
    }
    if let Some(start) = word {
        out.push(start..text.len());
    }
    out
}

/// One edit: source tokens `start..end` become `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TokenEdit {
    pub start: usize,
    pub end: usize,
    pub replacement: Vec<String>,
}

/// The edits that turn `source` into `target`: a minimal token alignment
/// (Levenshtein), with neighbouring changes merged into one edit.
pub fn edits(source: &[String], target: &[String]) -> Vec<TokenEdit> {
    align(source, target)
        .into_iter()
        .map(|(s, t)| TokenEdit {
            start: s.start,
            end: s.end,
            replacement: target[t].to_vec(),
        })
        .collect()
}

/// The changed stretches between two token lists, as pairs of token index
/// ranges (source, target): a minimal alignment (Levenshtein), neighbouring
/// changes merged.
pub fn align<T: PartialEq>(
    source: &[T],
    target: &[T],
) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    align_split(source, target, false)
}

/// Like [`align`]; with `split_deletions`, words only removed form edits of
/// their own instead of merging with a neighbouring change.
pub fn align_split<T: PartialEq>(
    source: &[T],
    target: &[T],
    split_deletions: bool,
) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let (n, m) = (source.len(), target.len());
    // cost[i][j]: edits to turn source[i..] into target[j..].
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                m - j
            } else if j == m {
                n - i
            } else if source[i] == target[j] {
                cost[i + 1][j + 1]
            } else {
                1 + cost[i + 1][j + 1].min(cost[i + 1][j]).min(cost[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut open: Option<(usize, usize)> = None;
    while i < n || j < m {
        if i < n && j < m && source[i] == target[j] && cost[i][j] == cost[i + 1][j + 1] {
            if let Some((si, sj)) = open.take() {
                out.push((si..i, sj..j));
            }
            i += 1;
            j += 1;
            continue;
        }
        let step = if i < n && j < m && cost[i][j] == 1 + cost[i + 1][j + 1] {
            (1, 1)
        } else if i < n && cost[i][j] == 1 + cost[i + 1][j] {
            (1, 0)
        } else {
            (0, 1)
        };
        if split_deletions {
            // A change of kind (deleting, or not) closes the open edit.
            if let Some((si, sj)) = open {
                let was_deleting = j == sj;
                if was_deleting != (step == (1, 0)) {
                    out.push((si..i, sj..j));
                    open = None;
                }
            }
        }
        open.get_or_insert((i, j));
        i += step.0;
        j += step.1;
    }
    if let Some((si, sj)) = open {
        out.push((si..n, sj..m));
    }
    out
}

/// How far `target` is from `source`: characters inserted, deleted or
/// replaced (ignoring case), over the source's length. 0 is the same text;
/// fixing "yo es estudiante" to "Yo soy estudiante." is 0.25; a rewrite into
/// another sentence is well past 0.5.
pub fn distance(source: &str, target: &str) -> f64 {
    char_edits(source, target) as f64 / source.chars().count().max(1) as f64
}

/// Levenshtein distance between two texts in characters, ignoring case.
pub fn char_edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Counts for one or many sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Model edits that are reference edits.
    pub true_positives: usize,
    /// Model edits the reference does not make.
    pub false_positives: usize,
    /// Reference edits the model missed.
    pub false_negatives: usize,
    /// Sentences that were already correct.
    pub correct_sentences: usize,
    /// …of which the model "corrected" something.
    pub false_alarms: usize,
    pub sentences: usize,
    /// Answers whose corrected text is another sentence (see [`MEANING_CHANGE`]).
    pub meaning_changes: usize,
    /// Answers that could be read (JSON that parsed).
    pub valid_answers: usize,
}

/// A corrected text this far from the learner's ([`distance`]) says
/// something else: that answer changed the meaning.
pub const MEANING_CHANGE: f64 = 0.5;

impl Counts {
    /// Scores one sentence: the learner's `text`, the reference correction,
    /// and the model's corrected text (`None`: the answer was unusable, which
    /// counts as no edits).
    pub fn sentence(text: &str, reference: &str, predicted: Option<&str>) -> Counts {
        let source = tokens(text);
        let gold = edits(&source, &tokens(reference));
        let hyp = predicted.map_or_else(Vec::new, |p| edits(&source, &tokens(p)));
        let tp = hyp.iter().filter(|e| gold.contains(e)).count();
        Counts {
            true_positives: tp,
            false_positives: hyp.len() - tp,
            false_negatives: gold.len() - gold.iter().filter(|e| hyp.contains(e)).count(),
            correct_sentences: usize::from(gold.is_empty()),
            false_alarms: usize::from(gold.is_empty() && !hyp.is_empty()),
            sentences: 1,
            meaning_changes: usize::from(
                predicted.is_some_and(|p| distance(text, p) > MEANING_CHANGE),
            ),
            valid_answers: usize::from(predicted.is_some()),
        }
    }

    pub fn add(&mut self, o: &Counts) {
        self.true_positives += o.true_positives;
        self.false_positives += o.false_positives;
        self.false_negatives += o.false_negatives;
        self.correct_sentences += o.correct_sentences;
        self.false_alarms += o.false_alarms;
        self.sentences += o.sentences;
        self.meaning_changes += o.meaning_changes;
        self.valid_answers += o.valid_answers;
    }

    /// Share of the model's edits that are right (1 when it made none).
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// Share of the reference's edits the model made (1 when there were none).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// F0.5: precision weighs twice as much as recall, because a wrong
    /// correction teaches a mistake and a missed one only fails to help.
    pub fn f05(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            return 0.0;
        }
        1.25 * p * r / (0.25 * p + r)
    }

    /// Share of correct sentences the model "corrected".
    pub fn false_alarm_rate(&self) -> f64 {
        share(self.false_alarms, self.correct_sentences)
    }

    pub fn meaning_change_rate(&self) -> f64 {
        share(self.meaning_changes, self.sentences)
    }

    pub fn json_validity(&self) -> f64 {
        share(self.valid_answers, self.sentences)
    }
}

fn ratio(hit: usize, all: usize) -> f64 {
    if all == 0 {
        1.0
    } else {
        hit as f64 / all as f64
    }
}

fn share(part: usize, all: usize) -> f64 {
    if all == 0 {
        0.0
    } else {
        part as f64 / all as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Yo quiero un mesa para dos persona.";
    const GOLD: &str = "Yo quiero una mesa para dos personas.";

    #[test]
    fn tokens_split_words_and_punctuation() {
        assert_eq!(
            tokens("¿Qué tal? Je m'appelle Ana-María."),
            ["¿", "Qué", "tal", "?", "Je", "m'appelle", "Ana-María", "."]
        );
    }

    #[test]
    fn alignment_finds_each_changed_span() {
        let e = edits(&tokens(TEXT), &tokens(GOLD));
        assert_eq!(
            e,
            vec![
                TokenEdit {
                    start: 2,
                    end: 3,
                    replacement: vec!["una".into()]
                },
                TokenEdit {
                    start: 6,
                    end: 7,
                    replacement: vec!["personas".into()]
                },
            ]
        );
        // An insertion and a deletion.
        let e = edits(&tokens("Ich gehe Schule."), &tokens("Ich gehe zur Schule."));
        assert_eq!(e[0].start, 2);
        assert_eq!(e[0].end, 2);
        assert_eq!(e[0].replacement, ["zur"]);
        let e = edits(&tokens("Yo yo soy Ana."), &tokens("Yo soy Ana."));
        assert_eq!((e[0].end - e[0].start, e[0].replacement.len()), (1, 0));
    }

    #[test]
    fn distance_counts_characters_ignoring_case() {
        assert_eq!(char_edits("kitten", "sitting"), 3);
        assert_eq!(char_edits("Yo", "yo"), 0);
        assert_eq!(char_edits("", "abc"), 3);
        assert_eq!(
            distance("yo es estudiante", "Yo soy estudiante."),
            4.0 / 16.0
        );
    }

    #[test]
    fn a_perfect_answer_scores_one() {
        let c = Counts::sentence(TEXT, GOLD, Some(GOLD));
        assert_eq!(
            (c.true_positives, c.false_positives, c.false_negatives),
            (2, 0, 0)
        );
        assert_eq!((c.precision(), c.recall(), c.f05()), (1.0, 1.0, 1.0));
        assert_eq!(c.meaning_changes, 0);
    }

    #[test]
    fn no_answer_and_an_unusable_one_miss_everything() {
        for predicted in [Some(TEXT), None] {
            let c = Counts::sentence(TEXT, GOLD, predicted);
            assert_eq!((c.true_positives, c.false_negatives), (0, 2));
            assert_eq!(c.recall(), 0.0);
            assert_eq!(c.f05(), 0.0);
        }
        assert_eq!(Counts::sentence(TEXT, GOLD, None).json_validity(), 0.0);
    }

    #[test]
    fn half_right_weighs_precision_twice() {
        // One right edit, one wrong one, one missed.
        let c = Counts::sentence(TEXT, GOLD, Some("Yo quiero una mesa para tres persona."));
        assert_eq!(
            (c.true_positives, c.false_positives, c.false_negatives),
            (1, 1, 1)
        );
        assert!((c.f05() - 0.5).abs() < 1e-9);
        // Right but incomplete: precision 1, recall 0.5 → F0.5 = 0.833.
        let c = Counts::sentence(TEXT, GOLD, Some("Yo quiero una mesa para dos persona."));
        assert!((c.f05() - 0.625 / 0.75).abs() < 1e-9, "{}", c.f05());
    }

    #[test]
    fn correcting_a_correct_sentence_is_a_false_alarm() {
        let ok = "Quiero una mesa para dos personas.";
        let c = Counts::sentence(ok, ok, Some("Quiero la mesa para dos personas."));
        assert_eq!((c.correct_sentences, c.false_alarms), (1, 1));
        assert_eq!(c.false_alarm_rate(), 1.0);
        let c = Counts::sentence(ok, ok, Some(ok));
        assert_eq!(c.false_alarm_rate(), 0.0);
        assert_eq!(c.f05(), 1.0, "nothing to find, nothing wrongly found");
    }

    #[test]
    fn another_sentence_changes_the_meaning() {
        let text = "Yo gusta el chocolate.";
        let c = Counts::sentence(
            text,
            "Me gusta el chocolate.",
            Some("Yo estoy interesado en un postre de fresa."),
        );
        assert_eq!(c.meaning_changes, 1);
        let c = Counts::sentence(
            text,
            "Me gusta el chocolate.",
            Some("Me gusta el chocolate."),
        );
        assert_eq!(c.meaning_changes, 0);
        let mut all = Counts::default();
        all.add(&Counts::sentence(TEXT, GOLD, Some(GOLD)));
        all.add(&Counts::sentence(TEXT, GOLD, None));
        assert_eq!(
            (all.sentences, all.true_positives, all.false_negatives),
            (2, 2, 2)
        );
        assert_eq!(all.json_validity(), 0.5);
    }
}
