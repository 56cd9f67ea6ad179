package dev.hangar.core.select;

/** What the node's operator allows and has, as far as choosing a runtime is concerned. */
public record NodePolicy(boolean networkAllowed, int gpus) {
    public static NodePolicy closed() {
        return new NodePolicy(false, 0);
    }
}
