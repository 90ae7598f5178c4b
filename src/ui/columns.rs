//! How a table shares its width among columns on any terminal: each column claims a minimum,
//! the width it would like, and a rank. Columns join by rank while their minimums fit, so on a
//! small terminal the least telling ones go first instead of every column being cut; the room
//! left then raises each to its fair share and then toward what it would like, by rank.

use ratatui::layout::Constraint;

/// One column's claim on the table's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Below this the column is not worth showing.
    pub min: u16,
    /// What its longest value needs; it gets no more (the last kept column takes what is left).
    pub want: u16,
    /// Lower ranks are kept first and widened first.
    pub rank: u8,
    /// Shown only when every other column has what it wants (byte totals beside a rate).
    pub luxury: bool,
}

impl Claim {
    pub const fn new(min: u16, want: u16, rank: u8) -> Claim {
        Claim {
            min,
            want,
            rank,
            luxury: false,
        }
    }

    /// A fixed column shown only when the others have all they want.
    pub const fn luxury(width: u16) -> Claim {
        Claim {
            luxury: true,
            ..Claim::fixed(width, u8::MAX)
        }
    }

    /// A column that is always the same width.
    pub const fn fixed(width: u16, rank: u8) -> Claim {
        Claim::new(width, width, rank)
    }
}

/// Each column's width in `width` characters (columns one space apart), `None` where the column
/// does not fit. The last kept column takes what is left over.
pub fn share(claims: &[Claim], width: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by_key(|&i| (claims[i].rank, i));
    // A column joins when its minimum fits beside what the columns before it were given: their
    // fair share (what they want, up to twice their minimum), so a long text column cannot
    // starve the ones after it, nor a late column the width the earlier ones want.
    let mut kept = vec![false; claims.len()];
    let mut given: u16 = 0;
    // What every other column wants in full (one that takes the rest, its minimum): luxuries
    // join only beside that.
    let mut in_full: u16 = claims
        .iter()
        .filter(|c| !c.luxury)
        .map(|c| match c.want {
            u16::MAX => c.min.max(1) + 1,
            want => want.max(c.min.max(1)) + 1,
        })
        .sum::<u16>()
        .saturating_sub(1);
    let mut luxuries = vec![false; claims.len()];
    for (i, claim) in claims.iter().enumerate().filter(|(_, c)| c.luxury) {
        if in_full + 1 + claim.min <= width {
            in_full += 1 + claim.min;
            luxuries[i] = true;
        }
    }
    for &i in &order {
        if claims[i].luxury && !luxuries[i] {
            continue;
        }
        let gap = u16::from(given > 0);
        let min = claims[i].min.max(1);
        // A column that takes whatever is left (wants everything) asks only its minimum here.
        let fair = match claims[i].want {
            u16::MAX => min,
            want => want.clamp(min, min.saturating_mul(2)),
        };
        if given + gap + min <= width {
            kept[i] = true;
            given += gap + fair.min(width - given - gap);
        }
    }
    let mut widths: Vec<Option<u16>> = claims
        .iter()
        .zip(&kept)
        .map(|(claim, &kept)| kept.then_some(claim.min.max(1)))
        .collect();
    let used: u16 = widths.iter().flatten().sum::<u16>()
        + u16::try_from(widths.iter().flatten().count().saturating_sub(1)).unwrap_or(0);
    let mut room = width - used;
    // Every kept column up to its fair share first, then to what it wants, by rank each time.
    for fair_first in [true, false] {
        for &i in &order {
            if let Some(current) = widths[i].as_mut() {
                let min = claims[i].min.max(1);
                let goal = if fair_first {
                    claims[i].want.min(min.saturating_mul(2))
                } else {
                    claims[i].want
                };
                let raise = goal.saturating_sub(*current).min(room);
                *current += raise;
                room -= raise;
            }
        }
    }
    if let Some(last) = widths.iter_mut().rev().flatten().next() {
        *last += room;
    }
    widths
}

/// The kept columns' widths as constraints, and which columns they are.
pub fn constraints(widths: &[Option<u16>]) -> Vec<Constraint> {
    widths
        .iter()
        .flatten()
        .map(|&w| Constraint::Length(w))
        .collect()
}

/// The items of the kept columns (`cells` in column order).
pub fn kept<T>(widths: &[Option<u16>], cells: impl IntoIterator<Item = T>) -> Vec<T> {
    cells
        .into_iter()
        .zip(widths)
        .filter_map(|(cell, width)| width.map(|_| cell))
        .collect()
}

/// The widest cell of `column` among `texts` (in characters), at least `min`: what a column
/// claims to show its longest value whole.
pub fn widest<const N: usize>(texts: &[[String; N]], column: usize, min: u16) -> u16 {
    texts
        .iter()
        .map(|t| u16::try_from(t[column].chars().count()).unwrap_or(u16::MAX))
        .max()
        .unwrap_or(0)
        .max(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_telling_columns_go_first_and_the_rest_widen() {
        // name, local address, state, remote, uptime
        let claims = [
            Claim::new(8, 20, 0),
            Claim::fixed(15, 0),
            Claim::fixed(10, 1),
            Claim::new(10, 40, 2),
            Claim::fixed(6, 3),
        ];
        // Everything fits: each gets what it wants, the last the rest.
        assert_eq!(
            share(&claims, 120),
            [Some(20), Some(15), Some(10), Some(40), Some(31)]
        );
        // The remote joins beside the name's fair share (16); uptime does not fit. The room
        // left goes to fair shares before anyone's full want.
        assert_eq!(
            share(&claims, 60),
            [Some(16), Some(15), Some(10), Some(16), None]
        );
        // A luxury joins only when the others have all they want.
        let mut with_totals = claims.to_vec();
        with_totals.push(Claim::luxury(8));
        assert_eq!(share(&with_totals, 103)[5], None);
        assert_eq!(
            share(&with_totals, 104),
            [Some(20), Some(15), Some(10), Some(40), Some(6), Some(8)]
        );
        // No room for the remote's minimum: the narrower uptime still fits.
        assert_eq!(
            share(&claims, 50),
            [Some(16), Some(15), Some(10), None, Some(6)]
        );
        let widths = share(&claims, 50);
        assert_eq!(
            kept(&widths, ["a", "b", "c", "d", "e"]),
            ["a", "b", "c", "e"]
        );
        assert_eq!(constraints(&widths).len(), 4);
        // Too narrow even for the first: nothing is kept rather than something cut.
        assert_eq!(share(&[Claim::fixed(15, 0)], 10), [None]);
    }
}
