/** $CHEHRA_DATASETS (relative: to the repository root), else ../shared/datasets next to the repository. */
export declare function datasetsRoot(): string;
