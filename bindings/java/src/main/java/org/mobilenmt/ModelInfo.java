package org.mobilenmt;

/** Facts about a loaded model ({@code mnmt_model_info}). */
public final class ModelInfo {
    private final long[] n;
    private final String dtype;
    private final String activation;
    private final String name;
    private final String sourceLang;
    private final String targetLang;

    /** {@code n} in the order {@code Translator.nativeInfo} fills it (the C struct's order). */
    ModelInfo(long[] n, String[] s) {
        this.n = n.clone();
        this.dtype = s[0];
        this.activation = s[1];
        this.name = s[2];
        this.sourceLang = s[3];
        this.targetLang = s[4];
    }

    /** Source (encoder) vocabulary size. */
    public int getVocabSize() {
        return (int) n[0];
    }

    /** Target (decoder) vocabulary size. */
    public int getDecoderVocabSize() {
        return (int) n[1];
    }

    public int getDModel() {
        return (int) n[2];
    }

    public int getEncoderLayers() {
        return (int) n[3];
    }

    public int getDecoderLayers() {
        return (int) n[4];
    }

    public int getEncoderHeads() {
        return (int) n[5];
    }

    public int getDecoderHeads() {
        return (int) n[6];
    }

    public int getEncoderFfnDim() {
        return (int) n[7];
    }

    public int getDecoderFfnDim() {
        return (int) n[8];
    }

    /** True when the source and target embeddings are one matrix. */
    public boolean getSharedEmbeddings() {
        return n[9] != 0;
    }

    /** True when the output projection is the decoder's embedding matrix. */
    public boolean getTiedOutput() {
        return n[10] != 0;
    }

    /** Size of the model file (or of the bytes it was loaded from). */
    public long getFileSize() {
        return n[11];
    }

    /** Model parameters (padding not counted). */
    public long getParameterCount() {
        return n[12];
    }

    /** "int8" or "f32". */
    public String getDtype() {
        return dtype;
    }

    /** "relu", "swish", "gelu" or "gelu_tanh". */
    public String getActivation() {
        return activation;
    }

    /** The model's display name, or "". */
    public String getName() {
        return name;
    }

    /** Source language code such as "en", or "". */
    public String getSourceLang() {
        return sourceLang;
    }

    /** Target language code such as "de", or "". */
    public String getTargetLang() {
        return targetLang;
    }

    @Override
    public String toString() {
        return "ModelInfo(" + name + ", " + sourceLang + "->" + targetLang + ", " + dtype
                + ", d_model=" + getDModel() + ", layers=" + getEncoderLayers() + "+"
                + getDecoderLayers() + ", vocab=" + getVocabSize() + ")";
    }
}
