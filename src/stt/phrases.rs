//! Cutting a stream of speech into phrases, from the VAD's per-frame
//! probabilities: a short pause ends a phrase (so it can be transcribed
//! while the learner goes on), a long one ends the utterance.
//!
//! Plain logic over frame numbers, tested without audio or a model.

use super::vad::FRAME;

/// How the stream is cut. Durations are in 32 ms frames.
#[derive(Debug, Clone, Copy)]
pub struct Cuts {
    /// A frame at or above this probability is speech...
    pub speech: f32,
    /// ...and speech goes on until a frame falls below this one.
    pub quiet: f32,
    /// Quiet that ends a phrase.
    pub phrase_gap: usize,
    /// Quiet after speech that ends the utterance.
    pub end_gap: usize,
    /// Fewer speech frames than this in a phrase is a click or a cough.
    pub min_speech: usize,
    /// Audio kept before and after each phrase, so no word is clipped.
    pub pad: usize,
    /// A phrase this long is cut at its quietest frame in the last
    /// [`Cuts::search`] frames, so transcription never falls far behind.
    pub max_phrase: usize,
    /// How far back a forced cut looks for its quietest frame.
    pub search: usize,
}

/// Frames in `ms` milliseconds.
pub const fn frames(ms: u32) -> usize {
    (ms as usize * 16).div_ceil(FRAME)
}

impl Cuts {
    /// The defaults, with the utterance ending after `end_silence_ms` of quiet.
    pub fn new(end_silence_ms: u32) -> Cuts {
        let phrase_gap = frames(250);
        Cuts {
            speech: 0.5,
            quiet: 0.35,
            phrase_gap,
            end_gap: frames(end_silence_ms).max(phrase_gap),
            min_speech: frames(100),
            pad: frames(100),
            max_phrase: frames(6_000),
            search: frames(2_000),
        }
    }
}

/// What the stream has come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The learner started speaking at this frame.
    SpeechStart(usize),
    /// A phrase to transcribe: frames `start..end` (padding included).
    Phrase { start: usize, end: usize },
    /// The utterance is over; its speech ended at this frame.
    End { speech_end: usize },
}

/// The cutter's state.
#[derive(Debug)]
pub struct Phrases {
    cuts: Cuts,
    /// Frames seen.
    at: usize,
    /// Speech is going on.
    speaking: bool,
    /// The open phrase: where its speech began and how much speech it holds.
    open: Option<(usize, usize)>,
    /// Where the open phrase may start (the end of the last one).
    floor: usize,
    /// The last speech frame + 1 of the utterance.
    speech_end: Option<usize>,
    /// Probabilities since the open phrase began (for a forced cut).
    recent: Vec<f32>,
    ended: bool,
}

impl Phrases {
    pub fn new(cuts: Cuts) -> Phrases {
        Phrases {
            cuts,
            at: 0,
            speaking: false,
            open: None,
            floor: 0,
            speech_end: None,
            recent: Vec::new(),
            ended: false,
        }
    }

    /// Takes the next frame's probability; says what it completed.
    pub fn feed(&mut self, p: f32, out: &mut Vec<Cut>) {
        if self.ended {
            return;
        }
        let frame = self.at;
        self.at += 1;
        let c = self.cuts;
        self.speaking = if self.speaking {
            p >= c.quiet
        } else {
            p >= c.speech
        };
        if self.speaking {
            if self.speech_end.is_none() {
                out.push(Cut::SpeechStart(frame));
            }
            self.speech_end = Some(frame + 1);
            let (_, speech) = self
                .open
                .get_or_insert((frame.saturating_sub(c.pad).max(self.floor), 0));
            *speech += 1;
        }
        if self.open.is_some() {
            self.recent.push(p);
        }
        let quiet = self.speech_end.map_or(0, |end| self.at - end);
        if let Some((start, speech)) = self.open {
            if !self.speaking && quiet >= c.phrase_gap {
                let end = (self.at - quiet + c.pad).min(self.at);
                self.close(start, end, speech, out);
            } else if self.at - start >= c.max_phrase {
                self.force_cut(start, speech, out);
            }
        }
        if let Some(end) = self.speech_end {
            if !self.speaking && self.open.is_none() && quiet >= c.end_gap {
                self.ended = true;
                out.push(Cut::End { speech_end: end });
            }
        }
    }

    /// The stream stopped: the open phrase is finished, and the utterance.
    pub fn finish(&mut self, out: &mut Vec<Cut>) {
        if self.ended {
            return;
        }
        if let Some((start, speech)) = self.open {
            self.close(start, self.at, speech, out);
        }
        self.ended = true;
        out.push(Cut::End {
            speech_end: self.speech_end.unwrap_or(self.at),
        });
    }

    /// Frames seen.
    pub fn frames(&self) -> usize {
        self.at
    }

    /// Ends the open phrase at its quietest frame among the last
    /// [`Cuts::search`]; what follows that frame opens the next phrase.
    fn force_cut(&mut self, start: usize, speech: usize, out: &mut Vec<Cut>) {
        let c = self.cuts;
        let from = self.recent.len().saturating_sub(c.search);
        let quietest = (from..self.recent.len())
            .min_by(|&a, &b| self.recent[a].total_cmp(&self.recent[b]))
            .unwrap_or(from);
        // `recent` ends at the frame before `at`.
        let cut = (self.at - (self.recent.len() - quietest)).max(start + 1);
        let tail = self.recent.split_off(self.recent.len() - (self.at - cut));
        let tail_speech = tail.iter().filter(|&&q| q >= c.quiet).count();
        self.close(start, cut, speech.saturating_sub(tail_speech), out);
        self.open = Some((cut, tail_speech));
        self.recent = tail;
    }

    fn close(&mut self, start: usize, end: usize, speech: usize, out: &mut Vec<Cut>) {
        self.open = None;
        self.recent.clear();
        self.floor = end;
        if speech >= self.cuts.min_speech {
            out.push(Cut::Phrase { start, end });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `(probability, frames)` runs; returns the cuts with the frame
    /// count at which each came.
    fn run(cuts: Cuts, runs: &[(f32, usize)], finish: bool) -> Vec<(usize, Cut)> {
        let mut p = Phrases::new(cuts);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for &(prob, n) in runs {
            for _ in 0..n {
                p.feed(prob, &mut out);
                seen.extend(out.drain(..).map(|c| (p.frames(), c)));
            }
        }
        if finish {
            p.finish(&mut out);
            seen.extend(out.drain(..).map(|c| (p.frames(), c)));
        }
        seen
    }

    #[test]
    fn a_short_pause_ends_a_phrase_and_a_long_one_the_utterance() {
        let c = Cuts::new(800);
        let (gap, pad) = (c.phrase_gap, c.pad);
        let cuts = run(
            c,
            &[(0.0, 20), (0.9, 40), (0.1, gap + 2), (0.8, 30), (0.0, 40)],
            false,
        );
        let p1_end = 60 + pad;
        let p2_start = 60 + gap + 2;
        assert_eq!(
            cuts,
            vec![
                (21, Cut::SpeechStart(20)),
                (
                    60 + gap,
                    Cut::Phrase {
                        start: 20 - pad,
                        end: p1_end
                    }
                ),
                (
                    p2_start + 30 + gap,
                    Cut::Phrase {
                        start: p2_start - pad,
                        end: p2_start + 30 + pad
                    }
                ),
                (
                    p2_start + 30 + c.end_gap,
                    Cut::End {
                        speech_end: p2_start + 30
                    }
                ),
            ]
        );
        assert!(p1_end <= p2_start - pad, "phrases do not overlap");
    }

    #[test]
    fn hysteresis_keeps_a_soft_syllable_inside_speech() {
        // 0.4 is under the speech threshold but over the quiet one.
        let cuts = run(
            Cuts::new(800),
            &[(0.9, 10), (0.4, 20), (0.9, 10), (0.0, 40)],
            false,
        );
        let phrases: Vec<_> = cuts
            .iter()
            .filter(|(_, c)| matches!(c, Cut::Phrase { .. }))
            .collect();
        assert_eq!(phrases.len(), 1, "{cuts:?}");
    }

    #[test]
    fn clicks_are_not_phrases_and_silence_never_ends_an_utterance() {
        let c = Cuts::new(800);
        let cuts = run(c, &[(0.9, c.min_speech - 1), (0.0, 200)], false);
        assert!(
            !cuts.iter().any(|(_, c)| matches!(c, Cut::Phrase { .. })),
            "{cuts:?}"
        );
        assert!(run(c, &[(0.0, 500)], false).is_empty());
    }

    #[test]
    fn a_long_phrase_is_cut_at_its_quietest_frame() {
        let c = Cuts::new(800);
        // A dip at frame 150, inside the window the first forced cut searches.
        let cuts = run(c, &[(0.9, 150), (0.4, 1), (0.9, 300), (0.0, 60)], false);
        let phrases: Vec<_> = cuts
            .iter()
            .filter_map(|(_, c)| match c {
                Cut::Phrase { start, end } => Some((*start, *end)),
                _ => None,
            })
            .collect();
        assert_eq!(phrases[0], (0, 150), "cut at the dip: {phrases:?}");
        assert!(phrases.len() >= 3, "{phrases:?}");
        for w in phrases.windows(2) {
            assert_eq!(w[0].1, w[1].0, "forced cuts leave no gap: {phrases:?}");
        }
        for &(s, e) in &phrases {
            assert!(e - s <= c.max_phrase + c.pad, "{phrases:?}");
        }
        assert_eq!(phrases.last().unwrap().1, 451 + c.pad);
        assert!(
            matches!(cuts.last(), Some((_, Cut::End { speech_end: 451 }))),
            "{cuts:?}"
        );
    }

    #[test]
    fn a_stream_that_stops_mid_phrase_keeps_it() {
        let cuts = run(Cuts::new(800), &[(0.0, 5), (0.9, 30)], true);
        assert_eq!(
            cuts.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
            vec![
                Cut::SpeechStart(5),
                Cut::Phrase {
                    start: 5 - Cuts::new(800).pad,
                    end: 35
                },
                Cut::End { speech_end: 35 },
            ]
        );
    }
}
