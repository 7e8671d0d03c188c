package org.mobilenmt;

/** One entry of an n-best list: a translation and its score. */
public final class Hypothesis {
    private final String text;
    private final float score;

    Hypothesis(String text, float score) {
        this.text = text;
        this.score = score;
    }

    /** The translation. */
    public String getText() {
        return text;
    }

    /** {@code sum(log p) / length ^ lengthPenalty}: higher is better, at most 0. */
    public float getScore() {
        return score;
    }

    @Override
    public String toString() {
        return "Hypothesis(" + score + ", " + text + ")";
    }
}
