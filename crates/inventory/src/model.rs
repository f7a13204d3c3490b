//! Models: the variants of one product taken together (a shoe in every
//! size), as the owner thinks of their stock. The Inventory worksheet keeps
//! one row per variant; the page shows one line per model.

use std::collections::HashMap;

use crate::order::compare_sizes;
use crate::row::InventoryRow;

/// Which model a row belongs to: its Name and Color, case and surrounding
/// spaces aside. The till's variants of one product share both and differ
/// in Size; two colourways of one shoe are two models.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelKey {
    name: String,
    color: String,
}

impl ModelKey {
    pub fn of(row: &InventoryRow) -> ModelKey {
        ModelKey { name: row.name.trim().to_lowercase(), color: row.color.trim().to_lowercase() }
    }
}

/// The rows of each model, as indices into `rows`: models in the order of
/// their first row, each model's rows in natural size order (rows of one
/// size keep their order).
pub fn group_models(rows: &[InventoryRow]) -> Vec<Vec<usize>> {
    let mut position: HashMap<ModelKey, usize> = HashMap::new();
    let mut models: Vec<Vec<usize>> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let next = models.len();
        let at = *position.entry(ModelKey::of(row)).or_insert(next);
        if at == next {
            models.push(Vec::new());
        }
        models[at].push(index);
    }
    for model in &mut models {
        // Rows in the Inventory order are in size order already; this is
        // for rows in any other order. Stable, so ties keep their order.
        model.sort_by(|&a, &b| compare_sizes(&rows[a].size, &rows[b].size));
    }
    models
}

/// A model's figures, summed over its sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelTotals {
    pub on_hand: u64,
    /// Net units sold (the QtySold column, summed).
    pub sold: u64,
    /// Σ retail price × on hand, in cents.
    pub value_cents: i128,
}

impl ModelTotals {
    pub fn of<'a>(sizes: impl IntoIterator<Item = &'a InventoryRow>) -> ModelTotals {
        sizes.into_iter().fold(ModelTotals::default(), |totals, row| ModelTotals {
            on_hand: totals.on_hand + u64::from(row.qty_on_hand),
            sold: totals.sold + u64::from(row.qty_sold),
            value_cents: totals.value_cents + i128::from(row.retail_price_cents) * i128::from(row.qty_on_hand),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::row::tests::row;

    fn variant(sku: &str, name: &str, color: &str, size: &str) -> InventoryRow {
        InventoryRow { name: name.into(), color: color.into(), size: size.into(), ..row(sku) }
    }

    #[test]
    fn variants_of_one_name_and_color_are_one_model_in_size_order() {
        let rows = [
            variant("DUNK-10", "Nike Dunk Low", "White/Black", "10"),
            variant("SAMBA-9", "Adidas Samba OG", "White", "9"),
            variant("DUNK-9", " nike dunk low ", "WHITE/BLACK", "9"),
            variant("DUNK-GREEN-9", "Nike Dunk Low", "Green", "9"),
            variant("DUNK-10.5", "Nike Dunk Low", "White/Black", "10.5"),
            variant("DUNK-9.5", "Nike Dunk Low", "White/Black", "9.5"),
        ];
        let skus: Vec<Vec<&str>> = group_models(&rows)
            .iter()
            .map(|model| model.iter().map(|&index| rows[index].sku.as_str()).collect())
            .collect();
        assert_eq!(
            skus,
            [vec!["DUNK-9", "DUNK-9.5", "DUNK-10", "DUNK-10.5"], vec!["SAMBA-9"], vec!["DUNK-GREEN-9"]],
            "case and spaces aside; another colour is another model; first appearance order"
        );
        assert!(group_models(&[]).is_empty());
    }

    #[test]
    fn a_models_totals_sum_its_sizes() {
        let sizes = [
            InventoryRow { qty_on_hand: 2, qty_sold: 5, retail_price_cents: 11_500, ..row("A-9") },
            InventoryRow { qty_on_hand: 0, qty_sold: 3, retail_price_cents: 11_500, ..row("A-10") },
            InventoryRow { qty_on_hand: 1, qty_sold: 0, retail_price_cents: 12_000, ..row("A-13") },
        ];
        assert_eq!(ModelTotals::of(&sizes), ModelTotals { on_hand: 3, sold: 8, value_cents: 35_000 });
        assert_eq!(ModelTotals::of(&[]), ModelTotals::default());
    }
}
