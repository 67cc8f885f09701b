"""Lightning's ``RichModelSummary``, without the FLOPs column and total when nothing was counted (Lightning counts
FLOPs only for models with an ``example_input_array``; otherwise every entry reads 0)."""

from __future__ import annotations

from typing import Any

from pytorch_lightning.callbacks import RichModelSummary
from pytorch_lightning.utilities.model_summary import get_formatted_model_size, get_human_readable_count


class ModelSummary(RichModelSummary):
    @staticmethod
    def summarize(
        summary_data: list[tuple[str, list[str]]],
        total_parameters: int,
        trainable_parameters: int,
        model_size: float,
        total_training_modes: dict[str, int],
        total_flops: int,
        **summarize_kwargs: Any,
    ) -> None:
        """One row per layer (name, type, parameters, mode, FLOPs when counted), then the totals."""
        if total_flops:
            RichModelSummary.summarize(
                summary_data, total_parameters, trainable_parameters, model_size, total_training_modes, total_flops
            )
            return
        from rich import get_console
        from rich.table import Table

        columns = [(name, values) for name, values in summary_data if name != "FLOPs"]
        table = Table(header_style=summarize_kwargs.get("header_style", "bold magenta"))
        for name, _ in columns:
            table.add_column(name, justify="right" if name in ("Params", "In sizes", "Out sizes") else "left")
        for row in zip(*(values for _, values in columns), strict=True):
            table.add_row(*row)
        count = get_human_readable_count
        totals = Table.grid(expand=True)
        totals.add_row(f"[bold]Trainable params[/]: {count(int(trainable_parameters))}")
        totals.add_row(f"[bold]Non-trainable params[/]: {count(int(total_parameters - trainable_parameters))}")
        totals.add_row(f"[bold]Total params[/]: {count(int(total_parameters))}")
        totals.add_row(f"[bold]Total estimated model params size (MB)[/]: {get_formatted_model_size(model_size)}")
        console = get_console()
        console.print(table)
        console.print(totals)
